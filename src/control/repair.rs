//! The backstop of the control plane on several nodes: the database is the truth, and every
//! few seconds (and after every reconnection to Redis) a node compares what it holds in memory
//! with it, applying the event that makes it true where they differ. A missed kill switch,
//! plan, suspension or sign-out is thereby corrected within [`REPAIR_EVERY`], even with Redis
//! down.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

use super::{ControlEvent, ControlPlane};
use crate::auth::denylist::DenyList;
use crate::db::schema::workspaces;
use crate::workspaces::plans::Plan;

pub const REPAIR_EVERY: Duration = Duration::from_secs(2);

type WorkspaceState = (
    String,
    Plan,
    bool,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

pub async fn repair_loop(plane: Arc<ControlPlane>) {
    let mut tick = tokio::time::interval(REPAIR_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        repair(&plane).await;
    }
}

/// Makes this node's memory agree with the database (see the module comment).
pub async fn repair(plane: &ControlPlane) {
    let read = plane
        .db
        .run(|conn| {
            let workspaces: Vec<WorkspaceState> = workspaces::table
                .select((
                    workspaces::id,
                    workspaces::plan,
                    workspaces::kill_switch_engaged,
                    workspaces::kill_switch_reason,
                    workspaces::kill_switch_changed_by,
                    workspaces::kill_switch_changed_at,
                    workspaces::suspended_at,
                ))
                .load(conn)?;
            Ok((workspaces, DenyList::stored(conn)?))
        })
        .await;
    let (workspaces, denied) = match read {
        Ok(read) => read,
        Err(err) => {
            tracing::warn!(error = ?err, "control plane: could not read the database to repair this node");
            return;
        }
    };
    for (id, plan, kill, reason, changed_by, changed_at, suspended_at) in workspaces {
        let mut fixes = Vec::new();
        if plane.router.kill_engaged(&id) != kill {
            fixes.push(ControlEvent::KillSwitch {
                workspace_id: id.clone(),
                engaged: kill,
                reason,
                changed_by: changed_by.unwrap_or_default(),
                changed_at: changed_at.unwrap_or_default(),
            });
        }
        if plane.router.plan(&id) != Some(plan) {
            fixes.push(ControlEvent::PlanSet {
                workspace_id: id.clone(),
                plan,
            });
        }
        let suspended = suspended_at.is_some();
        if plane.mqtt_auth.is_suspended(&id) != suspended {
            fixes.push(ControlEvent::Suspended {
                workspace_id: id.clone(),
                suspended,
            });
        }
        for fix in fixes {
            tracing::warn!(event = ?fix, "control plane: this node had missed a change; repaired from the database");
            plane.apply(&fix).await;
        }
    }
    for (id, until_s) in denied {
        if !plane.denylist.contains(&id) {
            plane.apply(&ControlEvent::Denied { id, until_s }).await;
        }
    }
}
