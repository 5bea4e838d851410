//! The guard every workspace route calls: (caller, workspace, action) → allow, 403 or 404.
//!
//! A caller who is not a member gets 404 whatever the workspace holds, so that ids of other
//! tenants reveal nothing. Members of a suspended workspace get 403 `WORKSPACE_SUSPENDED` for
//! every call but one: engaging the kill switch. API keys act with at most admin rights, narrowed by their scopes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::auth::Caller;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::ids::{has_prefix, prefix};
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
    /// Bumped by every invalidation. An answer read from the database before an invalidation
    /// is not cached after it: it may be older than the change that invalidated.
    epoch: AtomicU64,
}

/// When a database read for the cache began.
#[derive(Clone, Copy)]
struct Epoch(u64);

const CACHE_MAX_ENTRIES: usize = 100_000;

impl AccessCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
            epoch: AtomicU64::new(0),
        }
    }

    /// The cached answer, or the epoch to hand back to [`AccessCache::put`] after reading the
    /// database.
    fn get(&self, user_id: &str, ws: &str) -> Result<(Workspace, Role), Epoch> {
        let entries = self.entries.lock();
        let epoch = Epoch(self.epoch.load(Ordering::SeqCst));
        if self.ttl.is_zero() {
            return Err(epoch);
        }
        match entries.get(&(user_id.to_owned(), ws.to_owned())) {
            Some((at, workspace, role)) if at.elapsed() < self.ttl => {
                Ok((workspace.clone(), *role))
            }
            _ => Err(epoch),
        }
    }

    fn put(&self, read_at: Epoch, user_id: &str, workspace: &Workspace, role: Role) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock();
        if self.epoch.load(Ordering::SeqCst) != read_at.0 {
            return;
        }
        if entries.len() >= CACHE_MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (user_id.to_owned(), workspace.id.clone()),
            (Instant::now(), workspace.clone(), role),
        );
    }

    pub fn invalidate_workspace(&self, ws: &str) {
        let mut entries = self.entries.lock();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.retain(|(_, w), _| w != ws);
    }

    pub fn invalidate_all(&self) {
        let mut entries = self.entries.lock();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.clear();
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
            Ok(hit) => hit,
            Err(read_at) => {
                let uid = user_id.clone();
                let found = state
                    .db
                    .run(move |conn| Workspace::with_role(conn, &ws_id, &uid))
                    .await?
                    .ok_or_else(|| AppError::not_found("workspace"))?;
                state.access_cache.put(read_at, user_id, &found.0, found.1);
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
pub async fn access_changed(state: &AppState, ws: &str) {
    state
        .control
        .emit(crate::control::ControlEvent::AccessChanged {
            workspace_id: ws.to_owned(),
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> Workspace {
        Workspace::new(
            "ws_1".into(),
            "Studio".into(),
            crate::workspaces::plans::Plan::Free,
            "usr_1".into(),
            0,
        )
    }

    #[test]
    fn an_answer_read_before_an_invalidation_is_not_cached_after_it() {
        let cache = AccessCache::new(Duration::from_secs(60));
        let Err(read_at) = cache.get("usr_1", "ws_1") else {
            panic!("empty cache")
        };
        // The member is removed (or the workspace suspended) while the read is in flight.
        cache.invalidate_workspace("ws_1");
        cache.put(read_at, "usr_1", &workspace(), Role::Viewer);
        assert!(
            cache.get("usr_1", "ws_1").is_err(),
            "the stale answer was kept"
        );

        let Err(read_at) = cache.get("usr_1", "ws_1") else {
            panic!("nothing cached")
        };
        cache.put(read_at, "usr_1", &workspace(), Role::Viewer);
        assert!(cache.get("usr_1", "ws_1").is_ok());
    }
}
