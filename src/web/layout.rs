//! The frame around every page: the user's menu, and inside a workspace its navigation and the
//! kill-switch bar (on every workspace page, latched banner included).

use std::borrow::Cow;

use crate::auth::preferences::Preferences;
use crate::auth::users::User;
use crate::context::AppState;
use crate::error::AppError;
use crate::i18n::{self, Lang};
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
    pub preferences: Preferences,
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

impl WorkspaceNav {
    /// The navigation this member sees: `(section, path under the workspace, label id)`;
    /// owner-only pages are left out for everyone else.
    pub fn sections(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut sections = vec![
            ("control", "", "nav-control"),
            ("livestreams", "/livestreams", "nav-livestreams"),
            ("devices", "/devices", "nav-devices"),
            ("rules", "/rules", "nav-rules"),
            ("commands", "/commands", "nav-commands"),
            ("audit", "/audit", "nav-audit"),
            ("members", "/members", "nav-members"),
        ];
        if allows(self.role, Action::ManageApiKeys) {
            sections.push(("api-keys", "/api-keys", "nav-api-keys"));
        }
        sections.push(("usage", "/usage", "nav-usage"));
        if allows(self.role, Action::ManageSettings) {
            sections.push(("settings", "/settings", "nav-settings"));
        }
        sections.push(("dock", "/dock", "nav-dock"));
        sections
    }
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
    /// The member asked to confirm before it engages (their preference).
    pub confirm: bool,
    /// Why this member cannot release it (empty when they can).
    pub release_denied: String,
    pub engage_denied: String,
}

impl Layout {
    /// A page outside any workspace (`/login` has no user).
    pub fn public(title: &str) -> Self {
        Self {
            title: page_title(title),
            user: None,
            workspace: None,
        }
    }

    pub async fn for_user(
        state: &AppState,
        session: &Session,
        title: &str,
    ) -> Result<Self, PageError> {
        let user = User::load(state, &session.user_id).await?;
        Ok(Self {
            title: page_title(title),
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
        let nav = user_nav(state, session, &user);
        let mut kill = kill_state(&access.workspace, access.role, by, &owner);
        kill.confirm = user.preferences.confirm_before_stop;
        let layout = Self {
            title: page_title(title),
            user: Some(nav),
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

    /// The message `id` in the page's language.
    pub fn t(&self, id: &str) -> Cow<'static, str> {
        i18n::t(id)
    }

    /// The page's language.
    pub fn lang(&self) -> Lang {
        i18n::current()
    }

    /// The language the switcher offers.
    pub fn other_lang(&self) -> Lang {
        match i18n::current() {
            Lang::En => Lang::Vi,
            Lang::Vi => Lang::En,
        }
    }

    /// The words the page's script writes (`#js-strings`), in the page's language.
    /// The words the page's script writes (`#js-strings`), in the page's language: the same on
    /// every page, so written once per language.
    pub fn js_strings(&self) -> &'static [(&'static str, String)] {
        static WRITTEN: [std::sync::OnceLock<Vec<(&'static str, String)>>; 2] =
            [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
        let lang = self.lang();
        let slot = match lang {
            Lang::En => &WRITTEN[0],
            Lang::Vi => &WRITTEN[1],
        };
        slot.get_or_init(|| {
            // A rule's reason keeps its values as `{name}` for the script to fill in.
            let placeholders: Vec<(&str, i18n::Arg)> = REASON_VALUES
                .iter()
                .map(|name| (*name, i18n::Arg::from(format!("{{{name}}}"))))
                .collect();
            JS_STRINGS
                .iter()
                .map(|id| (*id, lang.t(id).into_owned()))
                .chain(
                    REASONS
                        .iter()
                        .map(|id| (*id, lang.t_with(id, &placeholders).into_owned())),
                )
                .collect()
        })
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

/// Every message `static/app.js` uses (`T("js-…")`).
const JS_STRINGS: &[&str] = &[
    "js-refused",
    "js-unreachable",
    "js-session-ended",
    "js-copied",
    "js-selected",
    "js-at-most",
    "js-stopping",
    "js-screen-on",
    "js-keep-screen-on",
    "js-wake-refused",
    "js-stopped",
    "js-stop-all",
    "js-disabled-stopped",
    "js-send-test-why",
    "js-waiting-engine",
    "js-no-rules",
    "js-sent-gift",
    "js-a-gift",
    "js-liked",
    "js-viewers",
    "js-stream",
    "js-event-follow",
    "js-event-share",
    "js-event-join",
    "js-event-super-fan",
    "js-event-super-fan-box",
    "js-test",
    "js-why",
    "js-why-label",
    "js-status-sent",
    "js-status-done",
    "js-status-rejected",
    "js-status-failed",
    "js-status-expired",
    "js-status-busy",
    "js-status-undeliverable",
    "js-status-blocked",
    "js-status-rate-limited",
    "js-held",
    "js-resume",
    "js-pause",
    "js-command-problem",
    "js-engaged-announce",
    "js-released-announce",
    "js-engaged",
    "js-released",
    "js-lagged",
    "js-live",
    "js-access-ended",
    "js-access-ended-toast",
    "js-state-as-of",
    "js-reconnecting",
    "js-last-confirmed",
];

/// The messages of a rule's reason (`rules::reason`), and the names of their values.
const REASONS: &[&str] = &[
    "reason-disabled",
    "reason-other-event",
    "reason-other-livestream",
    "reason-user",
    "reason-gift-name",
    "reason-gift-id",
    "reason-min-diamonds",
    "reason-min-repeat",
    "reason-min-likes",
    "reason-equals",
    "reason-contains",
    "reason-starts-with",
    "reason-any-of",
    "reason-regex",
    "reason-viewers-below",
    "reason-already-fired",
    "reason-every",
    "reason-cooldown",
    "reason-viewer-cooldown",
    "reason-too-many-viewers",
    "reason-state-unreachable",
    "reason-fired",
    "reason-blocked",
];
const REASON_VALUES: &[&str] = &[
    "event", "wants", "user", "gift", "diamonds", "min", "count", "viewers", "so_far", "every",
    "unit", "ms", "max", "command",
];

/// A page's title: a catalogue id (`page-usage`) in the page's language; other text as it is.
fn page_title(title: &str) -> String {
    if title.starts_with("page-") {
        i18n::t(title).into_owned()
    } else {
        title.to_owned()
    }
}

/// The user's own choices apply from here on: their language first of all.
fn user_nav(state: &AppState, session: &Session, user: &User) -> UserNav {
    if let Some(lang) = user.preferences.language {
        i18n::set(lang);
    }
    UserNav {
        name: user.name.clone(),
        preferences: user.preferences.get().clone(),
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
        confirm: false,
        release_denied: if can_release {
            String::new()
        } else if owner.is_empty() {
            i18n::t("release-only-owner").into_owned()
        } else {
            i18n::t1("release-only-named-owner", "owner", owner).into_owned()
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
