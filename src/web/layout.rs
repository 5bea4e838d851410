//! The frame around every page: the user's menu, and inside a workspace its navigation and the
//! kill-switch bar (on every workspace page, latched banner included).

use crate::auth::users::User;
use crate::context::AppState;
use crate::error::AppError;
use crate::web::assets;
use crate::web::page::{PageError, clock, iso};
use crate::web::session::Session;
use crate::workspaces::access::{Access, authorize};
use crate::workspaces::model::{Workspace, list_members};
use crate::workspaces::permissions::{Action, Role, allows, denial_message};

pub struct Layout {
    pub title: String,
    pub user: Option<UserNav>,
    pub workspace: Option<WorkspaceNav>,
}

pub struct UserNav {
    pub name: String,
    pub csrf: String,
    /// When the access cookie runs out (Unix seconds): the script renews before that.
    pub expires_at: i64,
    pub platform_admin: bool,
}

pub struct WorkspaceNav {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Which part of the navigation is current.
    pub section: &'static str,
    pub kill: KillState,
}

/// The kill switch as the bar shows it.
pub struct KillState {
    pub engaged: bool,
    pub by: String,
    pub at: String,
    pub at_iso: String,
    pub reason: String,
    pub can_engage: bool,
    pub can_release: bool,
    /// Why this member cannot release it (empty when they can).
    pub release_denied: String,
    pub engage_denied: String,
}

impl Layout {
    /// A page outside any workspace (`/login` has no user).
    pub fn public(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user: None,
            workspace: None,
        }
    }

    pub async fn for_user(
        state: &AppState,
        session: &Session,
        title: &str,
    ) -> Result<Self, PageError> {
        let user_id = session.user_id.clone();
        let user = state
            .db
            .run(move |conn| User::find(conn, &user_id))
            .await?
            .ok_or_else(|| AppError::Unauthenticated("account no longer exists".into()))?;
        Ok(Self {
            title: title.to_owned(),
            user: Some(user_nav(state, session, &user)),
            workspace: None,
        })
    }

    /// A workspace page: checks that the member may `action` (404 for a non-member) and
    /// loads what the bar shows.
    pub async fn for_workspace(
        state: &AppState,
        session: &Session,
        ws: &str,
        action: Action,
        section: &'static str,
        title: &str,
    ) -> Result<(Self, Access), PageError> {
        let access = authorize(state, &session.caller(), ws, action).await?;
        let user_id = session.user_id.clone();
        let changed_by = access.workspace.kill_switch_changed_by.clone();
        let ws_id = access.workspace.id.clone();
        let (user, by, owner) = state
            .db
            .run(move |conn| {
                let user = User::find(conn, &user_id)?;
                let by = match changed_by {
                    Some(id) if id.starts_with("usr_") => {
                        User::find(conn, &id)?.map(|u| u.name).unwrap_or(id)
                    }
                    Some(id) => format!("API key {id}"),
                    None => String::new(),
                };
                let owner = list_members(conn, &ws_id)?
                    .into_iter()
                    .find(|m| m.role == Role::Owner)
                    .map(|m| m.name)
                    .unwrap_or_default();
                Ok((user, by, owner))
            })
            .await?;
        let user =
            user.ok_or_else(|| AppError::Unauthenticated("account no longer exists".into()))?;
        let kill = kill_state(&access.workspace, access.role, by, &owner);
        let layout = Self {
            title: title.to_owned(),
            user: Some(user_nav(state, session, &user)),
            workspace: Some(WorkspaceNav {
                id: access.workspace.id.clone(),
                name: access.workspace.name.clone(),
                role: access.role,
                section,
                kill,
            }),
        };
        Ok((layout, access))
    }

    /// The tab title: a stopped workspace says so first, whatever the page.
    pub fn full_title(&self) -> String {
        match &self.workspace {
            Some(ws) if ws.kill.engaged => format!("STOPPED · {} · {}", self.title, ws.name),
            Some(ws) => format!("{} · {} · livectl", self.title, ws.name),
            None => format!("{} · livectl", self.title),
        }
    }

    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    pub fn htmx_url(&self) -> &'static str {
        assets::HTMX.url
    }
    pub fn app_js_url(&self) -> &'static str {
        assets::APP_JS.url
    }
    pub fn app_css_url(&self) -> &'static str {
        assets::APP_CSS.url
    }
    pub fn icon_url(&self) -> &'static str {
        assets::ICON.url
    }
    pub fn manifest_url(&self) -> &'static str {
        assets::MANIFEST.url
    }
}

fn user_nav(state: &AppState, session: &Session, user: &User) -> UserNav {
    UserNav {
        name: user.name.clone(),
        csrf: session.csrf(state),
        expires_at: session.exp,
        platform_admin: user.is_platform_admin,
    }
}

pub fn kill_state(workspace: &Workspace, role: Role, by: String, owner: &str) -> KillState {
    let can_release = allows(role, Action::ReleaseKillSwitch);
    let can_engage = allows(role, Action::EngageKillSwitch);
    let at = workspace.kill_switch_changed_at;
    KillState {
        engaged: workspace.kill_switch_engaged,
        by,
        at: at.map(clock).unwrap_or_default(),
        at_iso: at.map(iso).unwrap_or_default(),
        reason: workspace.kill_switch_reason.clone().unwrap_or_default(),
        can_engage,
        can_release,
        release_denied: if can_release {
            String::new()
        } else if owner.is_empty() {
            "Only the workspace owner can release the kill switch.".to_owned()
        } else {
            format!("Only the owner ({owner}) can release the kill switch.")
        },
        engage_denied: if can_engage {
            String::new()
        } else {
            format!(
                "{}.",
                capitalise(&denial_message(role, Action::EngageKillSwitch))
            )
        },
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
