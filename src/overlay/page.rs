//! `GET /overlay/{token}`: the viewers' page for an OBS browser source. Read-only, no login,
//! transparent: what each gift or word does, the workspace's games, and the last actions. It
//! refreshes its panel once a second (`overlay.js`, a few hundred bytes of HTML each time); a
//! revoked or unknown token is 404 from the next refresh.

use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use crate::context::AppState;
use crate::db::schema::commands;
use crate::error::{AppError, AppResult};
use crate::overlay::routes::workspace_of;
use crate::overlay::words;
use crate::presets::model::PresetRow;
use crate::rules::model::{RuleRow, Unit};
use crate::web::assets;
use crate::web::page::{PageError, PageResult, render};

/// Last actions shown.
const LAST: i64 = 8;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/overlay/{token}", web::get().to(page))
        .route("/overlay/{token}/panel", web::get().to(panel_part));
}

/// "Rose → LED_ON · 3 s".
pub struct Mapping {
    pub trigger: String,
    pub action: String,
    /// "cooling down · 12 s" while the rule's cooldown runs, else empty.
    pub cooling: String,
}

pub struct Game {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// The game's state in words (goal progress, the vote, whose turn).
    pub now: String,
    /// A goal's progress, 0 to 100.
    pub percent: Option<i64>,
}

/// A device as viewers see it: busy (and how many wait) or ready.
pub struct DeviceLine {
    pub name: String,
    pub busy: bool,
    pub words: String,
}

pub struct Action {
    pub cmd: String,
    pub status: String,
    pub at: String,
    /// Who caused it (empty for the goal, the vote's end, or a command sent by hand).
    pub viewer: String,
}

#[derive(Template)]
#[template(path = "overlay/panel.html")]
pub struct Panel {
    pub mappings: Vec<Mapping>,
    pub games: Vec<Game>,
    pub devices: Vec<DeviceLine>,
    pub actions: Vec<Action>,
}

/// What the panel is made of, as read from the database.
struct Stored {
    rules: Vec<RuleRow>,
    presets: Vec<PresetRow>,
    devices: Vec<crate::devices::model::DeviceRow>,
    actions: Vec<(String, String, i64, Option<String>)>,
    /// Each rule's last command (for its cooldown).
    last_by_rule: std::collections::HashMap<String, i64>,
}

#[derive(Template)]
#[template(path = "overlay/page.html")]
struct Page {
    panel: Panel,
    token: String,
    css: &'static str,
    js: &'static str,
}

fn seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// What a rule's trigger is, in the viewers' words; `None` for rules viewers cannot act on.
fn trigger(rule: &RuleRow) -> Option<String> {
    let when = rule.when_json.get();
    match when.event.as_str() {
        "gift" => Some(match (&when.gift_name, when.gift_id, when.min_diamonds) {
            (Some(name), _, _) => format!("🎁 {name}"),
            (None, Some(id), _) => format!("🎁 #{id}"),
            (None, None, Some(d)) => format!("🎁 ≥ {d} 💎"),
            _ => "🎁".to_owned(),
        }),
        "comment" => when
            .equals
            .clone()
            .or_else(|| when.contains.clone())
            .or_else(|| when.any_of.as_ref().map(|w| w.join(" / ")))
            .map(|word| format!("💬 “{word}”")),
        "like" => Some(match (when.every, when.unit) {
            (Some(n), Some(Unit::Likes)) => format!("❤️ × {n}"),
            _ => "❤️".to_owned(),
        }),
        "follow" => Some("➕ follow".to_owned()),
        "share" => Some("↗ share".to_owned()),
        _ => None,
    }
}

/// Longest cooldown the overlay looks back for (a day: the longest a rule may have).
const COOLDOWN_LOOKBACK_MS: i64 = 86_400_000;

fn load(conn: &mut crate::db::DbConnection, ws: &str, now: i64) -> AppResult<Stored> {
    let actions = commands::table
        .filter(commands::workspace_id.eq(ws))
        .order(commands::id.desc())
        .limit(LAST)
        .select((
            commands::cmd,
            commands::status,
            commands::issued_at,
            commands::viewer,
        ))
        .load(conn)?;
    let rules = RuleRow::list(conn, ws)?;
    let cooling: Vec<String> = rules
        .iter()
        .filter(|r| r.enabled && r.cooldown_ms > 0)
        .map(|r| r.id.clone())
        .collect();
    let last_by_rule: Vec<(Option<String>, Option<i64>)> = if cooling.is_empty() {
        Vec::new()
    } else {
        commands::table
            .filter(commands::workspace_id.eq(ws))
            .filter(commands::rule_id.eq_any(&cooling))
            .filter(commands::issued_at.gt(now - COOLDOWN_LOOKBACK_MS))
            .group_by(commands::rule_id)
            .select((commands::rule_id, diesel::dsl::max(commands::issued_at)))
            .load(conn)?
    };
    Ok(Stored {
        rules,
        presets: PresetRow::list(conn, ws)?,
        devices: crate::devices::model::DeviceRow::list(conn, ws)?,
        actions,
        last_by_rule: last_by_rule
            .into_iter()
            .filter_map(|(rule, at)| Some((rule?, at?)))
            .collect(),
    })
}

async fn panel(state: &AppState, stored: Stored, now: i64) -> Panel {
    let mappings = stored
        .rules
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| {
            let then = r.then_json.get();
            let action = match then.scale {
                Some(scale) => format!("{} · ≤ {}", then.command, seconds(scale.max_ms)),
                None => format!("{} · {}", then.command, seconds(then.duration_ms)),
            };
            let left = stored
                .last_by_rule
                .get(&r.id)
                .map_or(0, |at| at + r.cooldown_ms - now);
            let cooling = if left > 0 {
                crate::i18n::t1("overlay-cooling", "s", (left + 999) / 1000).into_owned()
            } else {
                String::new()
            };
            trigger(r).map(|trigger| Mapping {
                trigger,
                action,
                cooling,
            })
        })
        .collect();
    let mut games = Vec::with_capacity(stored.presets.len());
    for g in &stored.presets {
        let view = state.stage.games.view(g, now).await;
        games.push(Game {
            id: g.id.clone(),
            name: g.name.clone(),
            kind: g.kind.to_string(),
            now: words::game_now(&view),
            percent: words::goal_percent(&view),
        });
    }
    let devices = stored
        .devices
        .iter()
        .map(|d| {
            let load = state.router.load(&d.id);
            let busy = load.busy_until > now || load.waiting > 0;
            let words = match (busy, load.waiting) {
                (false, _) => crate::i18n::t("overlay-ready").into_owned(),
                (true, 0) => crate::i18n::t("overlay-busy").into_owned(),
                (true, n) => crate::i18n::t1("overlay-busy-waiting", "count", n).into_owned(),
            };
            DeviceLine {
                name: d.name.clone(),
                busy,
                words,
            }
        })
        .collect();
    let actions = stored
        .actions
        .into_iter()
        .map(|(cmd, status, at, viewer)| Action {
            cmd,
            status,
            at: crate::web::page::clock(at),
            viewer: viewer.unwrap_or_default(),
        })
        .collect();
    Panel {
        mappings,
        games,
        devices,
        actions,
    }
}

async fn panel_for(state: &AppState, token: String) -> Result<Panel, PageError> {
    let now = state.router.now_ms();
    let stored = state
        .db
        .run(move |conn| match workspace_of(conn, &token)? {
            Some(ws) => load(conn, &ws, now).map(Some),
            None => Ok(None),
        })
        .await?;
    match stored {
        Some(stored) => Ok(panel(state, stored, now).await),
        None => Err(PageError::App(AppError::NotFound(
            "no overlay with this address: it was revoked, or never existed".into(),
        ))),
    }
}

pub async fn page(state: web::Data<AppState>, path: web::Path<String>) -> PageResult {
    let token = path.into_inner();
    let panel = panel_for(&state, token.clone()).await?;
    render(&Page {
        panel,
        token,
        css: assets::OVERLAY_CSS.url,
        js: assets::OVERLAY_JS.url,
    })
}

pub async fn panel_part(state: web::Data<AppState>, path: web::Path<String>) -> PageResult {
    let panel = panel_for(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(panel.render().map_err(AppError::internal)?))
}
