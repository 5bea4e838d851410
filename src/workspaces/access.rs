//! The guard every workspace route calls: (caller, workspace, action) → allow, 403 or 404.
//!
//! A caller who is not a member gets 404 whatever the workspace holds, so that ids of other
//! tenants reveal nothing. Members of a suspended workspace get 403 `WORKSPACE_SUSPENDED` for
//! every call. API keys act with at most admin rights, narrowed by their scopes.

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::ids::{has_prefix, prefix};
use crate::startup::AppState;
use crate::workspaces::model::Workspace;
use crate::workspaces::permissions::{Action, Role, allows, denial_message};

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
        Caller::User { user_id, .. } => {
            let user_id = user_id.clone();
            state
                .db
                .run(move |conn| Workspace::with_role(conn, &ws_id, &user_id))
                .await?
                .ok_or_else(|| AppError::not_found("workspace"))?
        }
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
    if workspace.is_suspended() {
        return Err(AppError::WorkspaceSuspended);
    }
    if !allows(role, action) {
        return Err(AppError::Forbidden(denial_message(role, action)));
    }
    Ok(Access { workspace, role })
}
