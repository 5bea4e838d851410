//! `/w/{ws}/presets`: the workspace's games (each with its rules, removable), and a form per
//! kind that is built: gift → action (up to three gifts here; more through the API) and a
//! community goal. Members who may not make games see why.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::devices::model::DeviceRow;
use crate::error::AppError;
use crate::presets::model::{
    GiftAction, GiftTrigger, GoalThen, GoalUnit, PresetInput, PresetRow, WheelChoice, WordAction,
};
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
        .route("/w/{ws}/presets/vote", web::post().to(add_vote))
        .route("/w/{ws}/presets/queue", web::post().to(add_queue))
        .route("/w/{ws}/presets/wheel", web::post().to(add_wheel))
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
    /// A goal's `reset` or `grow`, and by how much.
    #[serde(default)]
    then: String,
    #[serde(default)]
    grow_pct: String,
    /// The words of a vote's options or a queue's controls, row by row.
    #[serde(default)]
    word_1: String,
    #[serde(default)]
    word_2: String,
    #[serde(default)]
    word_3: String,
    /// A wheel's weights, row by row.
    #[serde(default)]
    weight_1: String,
    #[serde(default)]
    weight_2: String,
    #[serde(default)]
    weight_3: String,
    #[serde(default)]
    window_s: String,
    #[serde(default)]
    turn_s: String,
    /// A queue's ticket or a wheel's trigger: a gift's name, or a least worth.
    #[serde(default)]
    trigger_gift: String,
    #[serde(default)]
    trigger_min_diamonds: String,
}

impl GameForm {
    fn rows(&self) -> [(&str, &str, &str); GIFT_ROWS] {
        [
            (&self.gift_1, &self.command_1, &self.duration_1),
            (&self.gift_2, &self.command_2, &self.duration_2),
            (&self.gift_3, &self.command_3, &self.duration_3),
        ]
    }

    /// The word rows that were filled in, with their row number.
    fn word_rows(&self) -> Vec<(usize, &str, &str, &str)> {
        [
            (&self.word_1, &self.command_1, &self.duration_1),
            (&self.word_2, &self.command_2, &self.duration_2),
            (&self.word_3, &self.command_3, &self.duration_3),
        ]
        .into_iter()
        .enumerate()
        .filter(|(_, (w, c, _))| !w.trim().is_empty() || !c.trim().is_empty())
        .map(|(i, (w, c, d))| (i, w.as_str(), c.as_str(), d.as_str()))
        .collect()
    }

    fn trigger(&self, field: &str) -> Result<GiftTrigger, AppError> {
        Ok(GiftTrigger {
            gift_name: Some(self.trigger_gift.trim().to_owned()).filter(|g| !g.is_empty()),
            min_diamonds: number(&format!("{field}.min_diamonds"), &self.trigger_min_diamonds)?,
        })
    }
}

pub struct GameLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub rules: usize,
    /// The game's state in words (goal progress, the vote, whose turn), empty when none.
    pub now: String,
}

#[derive(Template)]
#[template(path = "presets/page.html")]
struct PresetsPage {
    layout: Layout,
    ws_id: String,
    games: Vec<GameLine>,
    devices: Vec<(String, String)>,
    /// The gift catalogue, for the gift fields' suggestions.
    gifts: Vec<crate::live::gifts::GiftInfo>,
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
    let (games, devices, gifts) = state
        .db
        .run(move |conn| {
            Ok((
                PresetRow::list(conn, &id)?,
                DeviceRow::list(conn, &id)?,
                crate::live::gifts::list(conn)?,
            ))
        })
        .await?;
    let mut lines = Vec::with_capacity(games.len());
    for g in &games {
        let view = state.stage.games.view(g, state.router.now_ms()).await;
        lines.push(GameLine {
            id: g.id.clone(),
            name: g.name.clone(),
            kind: g.kind.to_string(),
            rules: g.rule_ids.get().len(),
            now: crate::overlay::words::game_now(&view),
        });
    }
    html(
        failure.status(),
        &PresetsPage {
            can_manage: allows(access.role, Action::ManageRules),
            ws_id,
            layout,
            games: lines,
            devices: devices.into_iter().map(|d| (d.id, d.name)).collect(),
            gifts,
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
        then: "reset".into(),
        grow_pct: "50".into(),
        window_s: "30".into(),
        turn_s: "30".into(),
        weight_1: "1".into(),
        weight_2: "1".into(),
        weight_3: "1".into(),
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
        then: if form.then == "grow" {
            GoalThen::Grow
        } else {
            GoalThen::Reset
        },
        grow_pct: number("grow_pct", &form.grow_pct)?.filter(|_| form.then == "grow"),
        livestream_id: None,
    })
}

fn word_actions(form: &GameForm, field: &str) -> Result<Vec<WordAction>, AppError> {
    form.word_rows()
        .into_iter()
        .map(|(i, word, command, duration)| {
            Ok(WordAction {
                word: word.trim().to_owned(),
                device_id: device(form),
                command: command.trim().to_owned(),
                duration_ms: number(&format!("{field}[{i}].duration_ms"), duration)?,
            })
        })
        .collect()
}

fn vote(form: &GameForm) -> Result<PresetInput, AppError> {
    Ok(PresetInput::Vote {
        name: form.name.clone(),
        options: word_actions(form, "options")?,
        window_s: number("window_s", &form.window_s)?,
        livestream_id: None,
    })
}

fn queue(form: &GameForm) -> Result<PresetInput, AppError> {
    Ok(PresetInput::Queue {
        name: form.name.clone(),
        ticket: form.trigger("ticket")?,
        turn_s: number("turn_s", &form.turn_s)?,
        controls: word_actions(form, "controls")?,
        livestream_id: None,
    })
}

fn wheel(form: &GameForm) -> Result<PresetInput, AppError> {
    let rows = [
        (&form.weight_1, &form.command_1, &form.duration_1),
        (&form.weight_2, &form.command_2, &form.duration_2),
        (&form.weight_3, &form.command_3, &form.duration_3),
    ];
    let mut choices = Vec::new();
    for (i, (weight, command, duration)) in rows.into_iter().enumerate() {
        if command.trim().is_empty() {
            continue;
        }
        choices.push(WheelChoice {
            weight: number(&format!("choices[{i}].weight"), weight)?.unwrap_or(1),
            device_id: device(form),
            command: command.trim().to_owned(),
            duration_ms: number(&format!("choices[{i}].duration_ms"), duration)?,
        });
    }
    Ok(PresetInput::Wheel {
        name: form.name.clone(),
        trigger: form.trigger("trigger")?,
        choices,
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

pub async fn add_vote(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<GameForm>,
) -> PageResult {
    add(&state, &path, form, "vote", vote).await
}

pub async fn add_queue(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<GameForm>,
) -> PageResult {
    add(&state, &path, form, "queue", queue).await
}

pub async fn add_wheel(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<GameForm>,
) -> PageResult {
    add(&state, &path, form, "wheel", wheel).await
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
