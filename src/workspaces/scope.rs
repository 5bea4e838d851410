//! A request acting inside one workspace, so that a handler reads as
//! authorize → act → record, once: [`WorkspaceScope::enter`] checks the caller's role (or the
//! key's scopes), [`WorkspaceScope::find`] loads one of the workspace's rows (404 when it is
//! another workspace's), and [`WorkspaceScope::act`] runs the change and its audit entry in one
//! transaction.

use serde_json::Value;

use crate::audit::{self, AuditEntry};
use crate::auth::Caller;
use crate::context::AppState;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::workspaces::access::{Access, authorize};
use crate::workspaces::permissions::Action;

/// A row that belongs to a workspace and is found by its id inside it.
pub trait WorkspaceRow: Sized + Send + 'static {
    /// The row `id` of workspace `ws`; `NotFound` when there is none there.
    fn find_in(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<Self>;
}

/// Who acts, as the audit log names them.
#[derive(Clone, Debug)]
pub struct Actor {
    pub kind: &'static str,
    pub id: String,
}

impl Actor {
    pub fn of(caller: &Caller) -> Self {
        let (kind, id) = caller.actor();
        Self {
            kind,
            id: id.to_owned(),
        }
    }
}

/// What the audit entry of an act says besides its kind: its target and details.
#[derive(Default)]
pub struct Note {
    target: Option<String>,
    details: Option<Value>,
}

impl Note {
    /// An entry about `target` (a device, a rule, a livestream…).
    pub fn on(target: impl Into<String>) -> Self {
        Self {
            target: Some(target.into()),
            details: None,
        }
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// An authorized caller inside one workspace.
pub struct WorkspaceScope<'s> {
    state: &'s AppState,
    pub access: Access,
    pub actor: Actor,
}

impl<'s> WorkspaceScope<'s> {
    /// Authorizes `caller` for `action` in workspace `ws` (404 for a non-member, 403 for a
    /// role without the permission, 403 for a suspended workspace's writes).
    pub async fn enter(
        state: &'s AppState,
        caller: &Caller,
        ws: &str,
        action: Action,
    ) -> AppResult<Self> {
        let access = authorize(state, caller, ws, action).await?;
        Ok(Self {
            state,
            access,
            actor: Actor::of(caller),
        })
    }

    pub fn workspace_id(&self) -> &str {
        &self.access.workspace.id
    }

    /// One of this workspace's rows.
    pub async fn find<R: WorkspaceRow>(&self, id: &str) -> AppResult<R> {
        let (ws, id) = (self.workspace_id().to_owned(), id.to_owned());
        self.state
            .db
            .run(move |conn| R::find_in(conn, &ws, &id))
            .await
    }

    /// Runs `act` (given the workspace id) and records its audit entry `kind`, with the note
    /// `act` returns, in the same transaction: the change and its record land together or not
    /// at all.
    pub async fn act<T, F>(&self, kind: &'static str, act: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &str) -> AppResult<(T, Note)> + Send + 'static,
    {
        let ws = self.workspace_id().to_owned();
        let actor = self.actor.clone();
        self.state
            .db
            .transaction(move |conn| {
                let (value, note) = act(conn, &ws)?;
                let mut entry = AuditEntry::workspace(&ws, (actor.kind, &actor.id), kind);
                if let Some(target) = note.target.as_deref() {
                    entry = entry.target(target);
                }
                if let Some(details) = note.details {
                    entry = entry.details(details);
                }
                audit::record(conn, entry)?;
                Ok(value)
            })
            .await
    }
}
