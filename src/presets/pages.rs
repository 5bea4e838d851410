//! `/w/{ws}/presets`: the workspace's games (each with its rules, removable), and a form per
//! kind that is built: gift → action (up to three gifts here; more through the API) and a
//! community goal. Members who may not make games see why.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::devices::model::DeviceRow;
use crate::error::AppError;
use crate::presets::model::{GiftAction, GoalThen, GoalUnit, PresetInput, PresetRow};
use crate::presets::routes::create;
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::permissions::{Action, allows};

/// Gift rows the page's form offers.
pub const GIFT_ROWS: usize = 3;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/presets", web::get().to(page))
        .route("/w/{ws}/presets/gift", web::post().to(add_gift_game))
        .route("/w/{ws}/presets/goal", web::post().to(add_goal))
        .route("/w/{ws}/presets/{id}/delete", web::post().to(remove));
}

#[derive(Deserialize, Default)]
pub struct GameForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    gift_1: String,
    #[serde(default)]
    command_1: String,
    #[serde(default)]
    duration_1: String,
    #[serde(default)]
    gift_2: String,
    #[serde(default)]
    command_2: String,
    #[serde(default)]
    duration_2: String,
    #[serde(default)]
    gift_3: String,
    #[serde(default)]
    command_3: String,
    #[serde(default)]
    duration_3: String,
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    command: String,
    #[serde(default)]
    duration_ms: String,
}

impl GameForm {
    fn rows(&self) -> [(&str, &str, &str); GIFT_ROWS] {
        [
            (&self.gift_1, &self.command_1, &self.duration_1),
            (&self.gift_2, &self.command_2, &self.duration_2),
            (&self.gift_3, &self.command_3, &self.duration_3),
        ]
    }
}

pub struct GameLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub rules: usize,
}

#[derive(Template)]
#[template(path = "presets/page.html")]
struct PresetsPage {
    layout: Layout,
    ws_id: String,
    games: Vec<GameLine>,
    devices: Vec<(String, String)>,
    can_manage: bool,
    form: GameForm,
    /// Which form was refused: `gift` or `goal`.
    refused: String,
    failure: FormFailure,
}

async fn render_page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: GameForm,
    refused: &str,
    failure: FormFailure,
) -> PageResult {
    let (layout, access) =
        Layout::for_workspace(state, session, ws, Action::View, "rules", "page-presets").await?;
    let ws_id = access.workspace.id.clone();
    let id = ws_id.clone();
    let (games, devices) = state
        .db
        .run(move |conn| Ok((PresetRow::list(conn, &id)?, DeviceRow::list(conn, &id)?)))
        .await?;
    html(
        failure.status(),
        &PresetsPage {
            can_manage: allows(access.role, Action::ManageRules),
            ws_id,
            layout,
            games: games
                .iter()
                .map(|g| GameLine {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    kind: g.kind.to_string(),
                    rules: g.rule_ids.get().len(),
                })
                .collect(),
            devices: devices.into_iter().map(|d| (d.id, d.name)).collect(),
            form,
            refused: refused.to_owned(),
            failure,
        },
    )
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let form = GameForm {
        duration_1: "3000".into(),
        duration_2: "3000".into(),
        duration_3: "3000".into(),
        unit: "likes".into(),
        target: "1000".into(),
        duration_ms: "2000".into(),
        ..GameForm::default()
    };
    render_page(&state, &session, &path, form, "", FormFailure::default()).await
}

fn number(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        s => s
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "must be a whole number")),
    }
}

fn device(form: &GameForm) -> Option<String> {
    Some(form.device_id.trim().to_owned()).filter(|d| !d.is_empty())
}

fn gift_game(form: &GameForm) -> Result<PresetInput, AppError> {
    let mut gifts = Vec::new();
    for (i, (gift, command, duration)) in form.rows().into_iter().enumerate() {
        if gift.trim().is_empty() && command.trim().is_empty() {
            continue;
        }
        gifts.push(GiftAction {
            gift_name: Some(gift.trim().to_owned()),
            gift_id: None,
            device_id: device(form),
            command: command.trim().to_owned(),
            duration_ms: number(&format!("gifts[{i}].duration_ms"), duration)?,
        });
    }
    Ok(PresetInput::GiftAction {
        name: form.name.clone(),
        gifts,
        livestream_id: None,
    })
}

fn goal(form: &GameForm) -> Result<PresetInput, AppError> {
    let unit = match form.unit.as_str() {
        "diamonds" => GoalUnit::Diamonds,
        "comments" => GoalUnit::Comments,
        _ => GoalUnit::Likes,
    };
    Ok(PresetInput::Goal {
        name: form.name.clone(),
        unit,
        target: number("target", &form.target)?
            .ok_or_else(|| AppError::invalid("target", "must be at least 1"))?,
        device_id: device(form),
        command: form.command.trim().to_owned(),
        duration_ms: number("duration_ms", &form.duration_ms)?,
        then: GoalThen::Reset,
        grow_pct: None,
        livestream_id: None,
    })
}

async fn add(
    state: &AppState,
    ws: &str,
    form: PageForm<GameForm>,
    which: &str,
    build: fn(&GameForm) -> Result<PresetInput, AppError>,
) -> PageResult {
    let PageForm { session, form } = form;
    let made = match build(&form) {
        Ok(input) => create(state, &session.caller(), ws, input).await,
        Err(err) => Err(err),
    };
    match made {
        Ok(_) => Ok(see_other(&format!("/w/{ws}/presets"))),
        Err(err) => render_page(state, &session, ws, form, which, FormFailure::of(err)?).await,
    }
}

pub async fn add_gift_game(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<GameForm>,
) -> PageResult {
    add(&state, &path, form, "gift", gift_game).await
}

pub async fn add_goal(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<GameForm>,
) -> PageResult {
    add(&state, &path, form, "goal", goal).await
}

pub async fn remove(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    crate::presets::routes::delete(&state, &form.session.caller(), &ws, &id).await?;
    Ok(see_other(&format!("/w/{ws}/presets")))
}
