//! The control room (`/w/{ws}`) and its phone / OBS dock (`/w/{ws}/dock`): the kill switch,
//! livestream and device cards, the live feed, the test panel and the rule switches; plus the
//! fragments the page's script re-reads when the feed says something changed.

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::Caller;
use crate::commands::history::{any_done, last_by_device};
use crate::commands::routes::{SetKillSwitch, set_kill};
use crate::context::AppState;
use crate::devices::model::{DeviceRow, with_live_token};
use crate::devices::views::DeviceCard;
use crate::error::{AppError, AppResult};
use crate::live::views::LivestreamCard;
use crate::protocol::{EventKind, EventUser};
use crate::rules::engine::TestResult;
use crate::rules::model::RuleRow;
use crate::rules::routes::{dry_run, set_enabled};
use crate::rules::views::RuleLine;
use crate::web::layout::{Layout, WorkspaceNav};
use crate::web::page::{PageError, PageResult, is_htmx, render, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::permissions::{Action, Role, allows};

/// Everything the control room shows besides the frame.
pub struct Board {
    pub livestreams: Vec<LivestreamCard>,
    pub devices: Vec<DeviceCard>,
    pub rules: Vec<RuleLine>,
    pub checklist: Checklist,
    /// Owner or admin: connect livestreams, test events, edit.
    pub can_manage: bool,
    /// Operators too: enable and disable rules.
    pub can_toggle: bool,
    /// Each rule's JSON beside it (the rules page; the control room stays light).
    pub rule_json: bool,
}

/// The first-run steps, ticked as the server sees them happen.
pub struct Checklist {
    pub livestream_connected: bool,
    pub device_online: bool,
    pub rule_created: bool,
    pub command_done: bool,
}

impl Checklist {
    pub fn done(&self) -> usize {
        [
            self.livestream_connected,
            self.device_online,
            self.rule_created,
            self.command_done,
        ]
        .iter()
        .filter(|d| **d)
        .count()
    }

    pub fn complete(&self) -> bool {
        self.done() == 4
    }
}

pub async fn load_board(state: &AppState, ws: &str, role: Role) -> AppResult<Board> {
    let views = crate::live::routes::views(state, ws).await?;
    let ws_id = ws.to_owned();
    let (devices, live_tokens, rules, last, any_done) = state
        .db
        .run(move |conn| {
            let devices = DeviceRow::list(conn, &ws_id)?;
            let tokens = with_live_token(conn, &ws_id)?;
            let rules = RuleRow::list(conn, &ws_id)?;
            let last = last_by_device(conn, &ws_id)?;
            Ok((devices, tokens, rules, last, any_done(conn, &ws_id)?))
        })
        .await?;
    let names: HashMap<String, String> = devices
        .iter()
        .map(|d| (d.id.clone(), d.name.clone()))
        .collect();
    let devices: Vec<DeviceCard> = devices
        .iter()
        .map(|d| {
            DeviceCard::new(&d.view_live(&state.hub), live_tokens.contains(&d.id))
                .with_last_command(last.get(&d.id))
        })
        .collect();
    let rules = rules
        .iter()
        .map(|r| r.view().map(|v| RuleLine::new(&v, &names)))
        .collect::<AppResult<Vec<_>>>()?;
    let livestreams: Vec<LivestreamCard> = views.iter().map(LivestreamCard::new).collect();
    let checklist = Checklist {
        livestream_connected: livestreams.iter().any(|l| l.status == "live"),
        device_online: devices.iter().any(DeviceCard::is_fine),
        rule_created: !rules.is_empty(),
        command_done: any_done,
    };
    Ok(Board {
        livestreams,
        devices,
        rules,
        checklist,
        can_manage: allows(role, Action::ManageLivestreams),
        can_toggle: allows(role, Action::ToggleRule),
        rule_json: false,
    })
}

/// The frame and the board of a workspace page that any member may view.
pub async fn with_board(
    state: &AppState,
    session: &Session,
    ws: &str,
    section: &'static str,
    title: &str,
) -> Result<(Layout, String, Board), PageError> {
    let (layout, access) =
        Layout::for_workspace(state, session, ws, Action::View, section, title).await?;
    let board = load_board(state, &access.workspace.id, access.role).await?;
    Ok((layout, access.workspace.id, board))
}

/// What the test panel shows after a dry run or a sent event.
#[derive(Default)]
pub struct TestOutcome {
    pub message: String,
    pub error: String,
    /// (rule name, matched, reason) for a dry run.
    pub results: Vec<(String, bool, String)>,
}

#[derive(Template)]
#[template(path = "control/room.html")]
struct ControlRoom {
    layout: Layout,
    ws_id: String,
    board: Board,
    test: TestOutcome,
    form: TestForm,
}

#[derive(Template)]
#[template(path = "control/dock.html")]
struct Dock {
    layout: Layout,
    ws_id: String,
    board: Board,
}

pub async fn control_room(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, ws_id, board) =
        with_board(&state, &session, &path, "control", "page-control").await?;
    let form = TestForm::defaults(&board);
    render(&ControlRoom {
        ws_id,
        layout,
        board,
        test: TestOutcome::default(),
        form,
    })
}

pub async fn dock(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, ws_id, board) = with_board(&state, &session, &path, "dock", "page-dock").await?;
    render(&Dock {
        ws_id,
        layout,
        board,
    })
}

#[derive(Template)]
#[template(path = "partials/safety.html")]
struct SafetyPart {
    ws: WorkspaceNav,
    csrf: String,
}

#[derive(Template)]
#[template(path = "control/livestreams.html")]
struct LivestreamsPart {
    ws_id: String,
    board: Board,
    csrf: String,
}

#[derive(Template)]
#[template(path = "control/devices.html")]
struct DevicesPart {
    ws_id: String,
    board: Board,
}

#[derive(Template)]
#[template(path = "control/rules.html")]
struct RulesPart {
    ws_id: String,
    board: Board,
    csrf: String,
}

#[derive(Template)]
#[template(path = "control/checklist.html")]
struct ChecklistPart {
    ws_id: String,
    board: Board,
}

/// `GET /w/{ws}/part/{name}`: one piece of the page, re-read after a feed frame said it changed.
pub async fn part(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (ws, name) = path.into_inner();
    let (layout, access) =
        Layout::for_workspace(&state, &session, &ws, Action::View, "control", "").await?;
    let csrf = layout.csrf().to_owned();
    let ws_id = access.workspace.id.clone();
    if name == "safety" {
        let ws = layout
            .workspace
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("workspace layout")))?;
        return render(&SafetyPart { ws, csrf });
    }
    let board = load_board(&state, &ws_id, access.role).await?;
    match name.as_str() {
        "livestreams" => render(&LivestreamsPart { ws_id, board, csrf }),
        "devices" => render(&DevicesPart { ws_id, board }),
        "rules" => render(&RulesPart { ws_id, board, csrf }),
        "checklist" => render(&ChecklistPart { ws_id, board }),
        _ => Err(AppError::NotFound("no such part".into()).into()),
    }
}

#[derive(Deserialize)]
pub struct KillForm {
    #[serde(default)]
    engaged: String,
    #[serde(default)]
    reason: String,
}

/// `POST /w/{ws}/kill-switch`: engage (one press) or release (owner, with a reason).
pub async fn kill_switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<KillForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let engaged = match form.engaged.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::invalid("engaged", "must be true or false").into()),
    };
    if !engaged && form.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why it is safe to release (kept in the audit log)",
        )
        .into());
    }
    let body = SetKillSwitch {
        engaged,
        reason: Some(form.reason),
    };
    set_kill(&state, &session.caller(), &path, body).await?;
    if is_htmx(&req) {
        let (layout, _) =
            Layout::for_workspace(&state, &session, &path, Action::View, "control", "").await?;
        let csrf = layout.csrf().to_owned();
        let ws = layout
            .workspace
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("workspace layout")))?;
        return render(&SafetyPart { ws, csrf });
    }
    Ok(see_other(&back(&req, &format!("/w/{path}"))))
}

/// The page a plain form came from (same site only), else `fallback`.
pub fn back(req: &HttpRequest, fallback: &str) -> String {
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.find("://").map(|i| &url[i + 3..]))
        .and_then(|rest| {
            let (host, path) = rest.split_at(rest.find('/')?);
            let ours = req
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|h| h.eq_ignore_ascii_case(host));
            (ours && path.starts_with("/w/")).then(|| path.to_owned())
        })
        .unwrap_or_else(|| fallback.to_owned())
}

#[derive(Template)]
#[template(path = "control/release.html")]
struct ReleasePage {
    layout: Layout,
}

/// `GET /w/{ws}/release`: the release form as a page (without script, or from a link).
pub async fn release_page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, _) = Layout::for_workspace(
        &state,
        &session,
        &path,
        Action::ReleaseKillSwitch,
        "control",
        "page-release",
    )
    .await?;
    render(&ReleasePage { layout })
}

/// `POST /w/{ws}/rules/{id}/enable` and `…/disable` (operators may).
pub async fn toggle_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, id, verb) = path.into_inner();
    let enabled = crate::web::page::which_way(&verb, "enable", "disable")?;
    let caller = form.session.caller();
    set_enabled(&state, &caller, &ws, id, enabled).await?;
    if is_htmx(&req) {
        let (layout, ws_id, board) = with_board(&state, &form.session, &ws, "control", "").await?;
        return render(&RulesPart {
            ws_id,
            board,
            csrf: layout.csrf().to_owned(),
        });
    }
    Ok(see_other(&back(&req, &format!("/w/{ws}"))))
}

/// The test panel's fields (`dashboard.md` § Forms), kept when the page is shown again.
#[derive(Deserialize, Default)]
pub struct TestForm {
    #[serde(default)]
    pub livestream_id: String,
    #[serde(default)]
    pub event_type: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub gift_name: String,
    #[serde(default)]
    pub repeat_count: String,
    #[serde(default)]
    pub count: String,
    #[serde(default)]
    pub viewers: String,
    /// Which button: `dry_run` (nothing moves) or `send` (through the rules).
    #[serde(default)]
    pub mode: String,
}

impl TestForm {
    fn defaults(board: &Board) -> Self {
        Self {
            livestream_id: board
                .livestreams
                .first()
                .map(|l| l.id.clone())
                .unwrap_or_default(),
            event_type: "comment".to_owned(),
            repeat_count: "1".to_owned(),
            count: "1".to_owned(),
            ..Self::default()
        }
    }

    pub fn event(&self) -> AppResult<EventKind> {
        let number = |field: &str, raw: &str, default: i64| -> AppResult<i64> {
            match raw.trim() {
                "" => Ok(default),
                s => s
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=1_000_000_000).contains(n))
                    .ok_or_else(|| AppError::invalid(field, "must be a whole number")),
            }
        };
        let user = EventUser {
            id: "0".to_owned(),
            unique_id: "dashboard_test".to_owned(),
            nickname: "Dashboard test".to_owned(),
        };
        Ok(match self.event_type.as_str() {
            "comment" => EventKind::Comment {
                text: self.text.chars().take(500).collect(),
                user,
            },
            "gift" => {
                let repeat = number("repeat_count", &self.repeat_count, 1)?.max(1);
                EventKind::Gift {
                    gift_id: 0,
                    gift_name: self.gift_name.trim().chars().take(100).collect(),
                    diamond_count: 1,
                    repeat_count: repeat,
                    total_diamonds: repeat,
                    user,
                }
            }
            "like" => {
                let count = number("count", &self.count, 1)?.max(1);
                EventKind::Like {
                    count,
                    total: count,
                    user,
                }
            }
            "follow" => EventKind::Follow { user },
            "share" => EventKind::Share { user },
            "join" => EventKind::Join { user },
            "viewer_count" => {
                let viewers = number("viewers", &self.viewers, 0)?;
                EventKind::ViewerCount {
                    viewers,
                    total_viewers: viewers,
                }
            }
            _ => {
                return Err(AppError::invalid(
                    "event_type",
                    "choose comment, gift, like, follow, share, join or viewer_count",
                ));
            }
        })
    }
}

#[derive(Template)]
#[template(path = "control/test_result.html")]
struct TestResultPart {
    test: TestOutcome,
}

/// `POST /w/{ws}/test`: a dry run (nothing moves) or a test event sent through the rules.
pub async fn test_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<TestForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let caller = session.caller();
    let test = match run_test(&state, &caller, &path, &form).await {
        Ok(outcome) => outcome,
        Err(AppError::Internal(cause)) => return Err(PageError::App(AppError::Internal(cause))),
        Err(err) => TestOutcome {
            error: err.to_string(),
            ..TestOutcome::default()
        },
    };
    if is_htmx(&req) {
        return render(&TestResultPart { test });
    }
    let (layout, ws_id, board) =
        with_board(&state, &session, &path, "control", "page-control").await?;
    render(&ControlRoom {
        ws_id,
        layout,
        board,
        test,
        form,
    })
}

async fn run_test(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    form: &TestForm,
) -> AppResult<TestOutcome> {
    let event = form.event()?;
    let livestream_id = Some(form.livestream_id.clone()).filter(|l| !l.is_empty());
    if form.mode == "send" {
        if state.router.kill_engaged(ws) {
            return Err(AppError::KillSwitchEngaged);
        }
        let livestream = livestream_id.ok_or_else(|| {
            AppError::invalid(
                "livestream_id",
                "add a livestream first (the simulator will do)",
            )
        })?;
        let event_id = crate::live::routes::inject(state, caller, ws, &livestream, event).await?;
        return Ok(TestOutcome {
            message: crate::i18n::t1("test-sent", "id", &event_id).into_owned(),
            ..TestOutcome::default()
        });
    }
    let results = dry_run(state, caller, ws, livestream_id, event, None).await?;
    let ws_id = ws.to_owned();
    let rules = state
        .db
        .run(move |conn| RuleRow::list(conn, &ws_id))
        .await?;
    let names: HashMap<String, String> = rules.into_iter().map(|r| (r.id, r.name)).collect();
    let fired = results.iter().filter(|r| r.matched).count();
    Ok(TestOutcome {
        message: match (results.len(), fired) {
            (0, _) => crate::i18n::t("test-no-rules").into_owned(),
            (_, 0) => crate::i18n::t("test-none-fire").into_owned(),
            (_, n) => crate::i18n::t1("test-n-fire", "count", n).into_owned(),
        },
        error: String::new(),
        results: results
            .into_iter()
            .map(
                |TestResult {
                     rule_id,
                     matched,
                     why,
                     ..
                 }| {
                    let name = names.get(&rule_id).cloned().unwrap_or(rule_id);
                    (name, matched, why.words(crate::i18n::current()))
                },
            )
            .collect(),
    })
}
