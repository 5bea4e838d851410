//! The guard every workspace route calls: (caller, workspace, action) → allow, 403 or 404.
//!
//! A caller who is not a member gets 404 whatever the workspace holds, so that ids of other
//! tenants reveal nothing. Members of a suspended workspace get 403 `WORKSPACE_SUSPENDED` for
//! every call but one: engaging the kill switch. API keys act with at most admin rights, narrowed by their scopes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::ids::{has_prefix, prefix};
use crate::startup::AppState;
use crate::workspaces::model::Workspace;
use crate::workspaces::permissions::{Action, Role, allows, denial_message};

/// Recent (user, workspace) → (workspace, role) answers. Reads of a workspace are the hot path
/// (every dashboard poll, every integration); a one-second memory spares the database. Any
/// write to a workspace clears its entries at once (see `http::middleware`); on several nodes
/// another node's write is seen within the TTL.
/// (user id, workspace id) → when it was read, what was read.
type AccessEntries = HashMap<(String, String), (Instant, Workspace, Role)>;

pub struct AccessCache {
    entries: Mutex<AccessEntries>,
    ttl: Duration,
}

const CACHE_MAX_ENTRIES: usize = 100_000;

impl AccessCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn get(&self, user_id: &str, ws: &str) -> Option<(Workspace, Role)> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock();
        let (at, workspace, role) = entries.get(&(user_id.to_owned(), ws.to_owned()))?;
        (at.elapsed() < self.ttl).then(|| (workspace.clone(), *role))
    }

    fn put(&self, user_id: &str, workspace: &Workspace, role: Role) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() >= CACHE_MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (user_id.to_owned(), workspace.id.clone()),
            (Instant::now(), workspace.clone(), role),
        );
    }

    pub fn invalidate_workspace(&self, ws: &str) {
        self.entries.lock().retain(|(_, w), _| w != ws);
    }

    pub fn invalidate_all(&self) {
        self.entries.lock().clear();
    }
}

pub struct Access {
    pub workspace: Workspace,
    /// The caller's role; API keys count as `admin`.
    pub role: Role,
}

pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    workspace_id: &str,
    action: Action,
) -> AppResult<Access> {
    if !has_prefix(workspace_id, prefix::WORKSPACE) {
        return Err(AppError::not_found("workspace"));
    }
    let ws_id = workspace_id.to_owned();
    let (workspace, role) = match caller {
        Caller::User { user_id, .. } => match state.access_cache.get(user_id, workspace_id) {
            Some(hit) => hit,
            None => {
                let uid = user_id.clone();
                let found = state
                    .db
                    .run(move |conn| Workspace::with_role(conn, &ws_id, &uid))
                    .await?
                    .ok_or_else(|| AppError::not_found("workspace"))?;
                state.access_cache.put(user_id, &found.0, found.1);
                found
            }
        },
        Caller::ApiKey {
            workspace_id: key_ws,
            scopes,
            ..
        } => {
            if key_ws != workspace_id {
                return Err(AppError::not_found("workspace"));
            }
            if !scopes.iter().any(|s| s.covers(action)) {
                return Err(AppError::forbidden(
                    "this API key's scopes do not allow that",
                ));
            }
            let ws = state
                .db
                .run(move |conn| Workspace::find(conn, &ws_id))
                .await?
                .ok_or_else(|| AppError::not_found("workspace"))?;
            (ws, Role::Admin)
        }
    };
    // Stopping hardware is never refused: not even a suspended workspace's members lose it.
    if workspace.is_suspended() && action != Action::EngageKillSwitch {
        return Err(AppError::WorkspaceSuspended);
    }
    if !allows(role, action) {
        return Err(AppError::Forbidden(denial_message(role, action)));
    }
    Ok(Access { workspace, role })
}

/// Who may do what in `ws` just changed: forget the cached answers first, then tell the open
/// views, which check their own access again (a removed member's feed closes at once).
pub fn access_changed(state: &AppState, ws: &str) {
    state.access_cache.invalidate_workspace(ws);
    state
        .changes
        .publish(ws, crate::changes::ChangeKind::Access);
}
