//! Command history: every outcome goes to the `commands` table and the audit log, written in
//! batches by one task so that the hardware path never waits for the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use tokio::sync::{broadcast, mpsc};

use crate::audit::{self, AuditEntry};
use crate::db::schema::commands;
use crate::db::{Db, write_transaction};
use crate::protocol::{Command, CommandStatus};

#[derive(Debug, Clone)]
pub struct Outcome {
    pub command: Command,
    pub status: CommandStatus,
    pub detail: Option<String>,
    pub event_at: Option<i64>,
    pub acked_at: Option<i64>,
    /// The viewer whose event caused it, as named to people (nickname, else @handle).
    pub viewer: Option<String>,
}

const BUFFER: usize = 20_000;
const BATCH: usize = 256;

#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Outcome>,
    /// Outcomes queued, and outcomes written (or given up on): equal when nothing waits.
    queued: Arc<AtomicU64>,
    done: Arc<AtomicU64>,
    /// Outcomes as they happen, for the live feed.
    pub live: broadcast::Sender<Arc<Outcome>>,
}

impl Recorder {
    /// Starts the writer task.
    pub fn start(db: Db) -> Recorder {
        let (tx, rx) = mpsc::channel(BUFFER);
        let (live, _) = broadcast::channel(1024);
        let done = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_loop(db, rx, done.clone()));
        Recorder {
            tx,
            queued: Arc::new(AtomicU64::new(0)),
            done,
            live,
        }
    }

    /// Waits (at most `limit`) until every outcome recorded so far is written: a stopping
    /// node leaves no history behind.
    pub async fn flushed(&self, limit: Duration) -> bool {
        let target = self.queued.load(Ordering::Acquire);
        let deadline = tokio::time::Instant::now() + limit;
        while self.done.load(Ordering::Acquire) < target {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    pub fn record(&self, outcome: Outcome) {
        let _ = self.live.send(Arc::new(outcome.clone()));
        if self.tx.try_send(outcome).is_ok() {
            self.queued.fetch_add(1, Ordering::AcqRel);
        } else {
            tracing::error!(
                "command history is backed up; an outcome was not written (the database is too slow or down)"
            );
        }
    }
}

async fn write_loop(db: Db, mut rx: mpsc::Receiver<Outcome>, done: Arc<AtomicU64>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let outcomes = std::mem::take(&mut batch);
        let count = outcomes.len() as u64;
        let result = db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    for o in &outcomes {
                        write(conn, o)?;
                    }
                    Ok(())
                })
            })
            .await;
        if let Err(err) = result {
            tracing::error!(error = ?err, "could not write command outcomes");
        }
        done.fetch_add(count, Ordering::AcqRel);
    }
}

fn write(conn: &mut crate::db::DbConnection, o: &Outcome) -> crate::error::AppResult<()> {
    let c = &o.command;
    diesel::insert_into(commands::table)
        .values((
            commands::id.eq(&c.id),
            commands::workspace_id.eq(&c.workspace_id),
            commands::device_id.eq(&c.device_id),
            commands::rule_id.eq(&c.rule_id),
            commands::event_id.eq(&c.event_id),
            commands::cmd.eq(&c.cmd),
            commands::duration_ms.eq(c.duration_ms),
            commands::params.eq(c.params.to_string()),
            commands::status.eq(o.status.as_str()),
            commands::detail.eq(&o.detail),
            commands::event_at.eq(o.event_at),
            commands::issued_at.eq(c.issued_at),
            commands::expires_at.eq(c.expires_at),
            commands::acked_at.eq(o.acked_at),
            commands::viewer.eq(&o.viewer),
        ))
        .execute(conn)?;
    let kind = format!("command.{}", o.status.as_str());
    audit::record(
        conn,
        AuditEntry::system(&c.workspace_id, &kind).target(&c.id).details(serde_json::json!({
            "rule_id": c.rule_id, "event_id": c.event_id, "device_id": c.device_id, "cmd": c.cmd,
            "status": o.status, "detail": o.detail, "viewer": o.viewer,
            "event_to_issued_ms": o.event_at.map(|e| c.issued_at - e),
            "issued_to_ack_ms": o.acked_at.map(|a| a - c.issued_at),
        })),
    )
}
