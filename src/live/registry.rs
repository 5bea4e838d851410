//! The registry: one `LivestreamActor` per connected livestream, by id.

use std::collections::HashMap;

use actix::prelude::*;

use crate::live::actor::{Deps, LivestreamActor, Spec, Stop};

pub struct LiveRegistry {
    deps: Deps,
    actors: HashMap<String, (String, Addr<LivestreamActor>)>,
}

impl LiveRegistry {
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            actors: HashMap::new(),
        }
    }
}

impl Actor for LiveRegistry {
    type Context = Context<Self>;
}

/// Starts the livestream's actor unless it runs already.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Connect(pub Spec);

impl Handler<Connect> for LiveRegistry {
    type Result = ();

    fn handle(&mut self, msg: Connect, _ctx: &mut Self::Context) {
        if let Some((_, addr)) = self.actors.get(&msg.0.id)
            && addr.connected()
        {
            return;
        }
        let id = msg.0.id.clone();
        let ws = msg.0.workspace_id.clone();
        let addr = LivestreamActor::new(msg.0, self.deps.clone()).start();
        self.actors.insert(id, (ws, addr));
    }
}

/// Stops the livestream's actor. True if one was running.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct Disconnect(pub String);

impl Handler<Disconnect> for LiveRegistry {
    type Result = bool;

    fn handle(&mut self, msg: Disconnect, _ctx: &mut Self::Context) -> bool {
        match self.actors.remove(&msg.0) {
            Some((_, addr)) => {
                addr.do_send(Stop);
                true
            }
            None => false,
        }
    }
}

/// Stops every livestream of a workspace (suspension, deletion). Returns how many.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct DisconnectWorkspace(pub String);

impl Handler<DisconnectWorkspace> for LiveRegistry {
    type Result = usize;

    fn handle(&mut self, msg: DisconnectWorkspace, _ctx: &mut Self::Context) -> usize {
        let ids: Vec<String> = self
            .actors
            .iter()
            .filter(|(_, (ws, _))| *ws == msg.0)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            if let Some((_, addr)) = self.actors.remove(id) {
                addr.do_send(Stop);
            }
        }
        ids.len()
    }
}

/// The actor of a livestream, if it runs.
#[derive(Message)]
#[rtype(result = "Option<Addr<LivestreamActor>>")]
pub struct Lookup(pub String);

impl Handler<Lookup> for LiveRegistry {
    type Result = Option<Addr<LivestreamActor>>;

    fn handle(&mut self, msg: Lookup, _ctx: &mut Self::Context) -> Self::Result {
        self.actors
            .get(&msg.0)
            .filter(|(_, addr)| addr.connected())
            .map(|(_, addr)| addr.clone())
    }
}

/// How many actors run.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct Count;

impl Handler<Count> for LiveRegistry {
    type Result = usize;

    fn handle(&mut self, _msg: Count, _ctx: &mut Self::Context) -> usize {
        self.actors.retain(|_, (_, addr)| addr.connected());
        self.actors.len()
    }
}
