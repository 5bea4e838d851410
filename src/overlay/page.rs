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
}

pub struct Game {
    pub id: String,
    pub name: String,
    pub kind: String,
}

pub struct Action {
    pub cmd: String,
    pub status: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "overlay/panel.html")]
pub struct Panel {
    pub mappings: Vec<Mapping>,
    pub games: Vec<Game>,
    pub actions: Vec<Action>,
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

fn load_panel(conn: &mut crate::db::DbConnection, ws: &str) -> AppResult<Panel> {
    let mappings = RuleRow::list(conn, ws)?
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| {
            let then = r.then_json.get();
            let action = match then.scale {
                Some(scale) => format!("{} · ≤ {}", then.command, seconds(scale.max_ms)),
                None => format!("{} · {}", then.command, seconds(then.duration_ms)),
            };
            trigger(r).map(|trigger| Mapping { trigger, action })
        })
        .collect();
    let games = PresetRow::list(conn, ws)?
        .into_iter()
        .map(|g| Game {
            id: g.id,
            name: g.name,
            kind: g.kind.to_string(),
        })
        .collect();
    let rows: Vec<(String, String, i64)> = commands::table
        .filter(commands::workspace_id.eq(ws))
        .order(commands::id.desc())
        .limit(LAST)
        .select((commands::cmd, commands::status, commands::issued_at))
        .load(conn)?;
    let actions = rows
        .into_iter()
        .map(|(cmd, status, at)| Action {
            cmd,
            status,
            at: crate::web::page::clock(at),
        })
        .collect();
    Ok(Panel {
        mappings,
        games,
        actions,
    })
}

async fn panel_for(state: &AppState, token: String) -> Result<Panel, PageError> {
    let panel = state
        .db
        .run(move |conn| match workspace_of(conn, &token)? {
            Some(ws) => load_panel(conn, &ws).map(Some),
            None => Ok(None),
        })
        .await?;
    panel.ok_or_else(|| {
        PageError::App(AppError::NotFound(
            "no overlay with this address: it was revoked, or never existed".into(),
        ))
    })
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
