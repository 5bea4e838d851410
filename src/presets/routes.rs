//! `/workspaces/{ws}/presets`: the kinds of game, the workspace's games, making one (its rules
//! and the game land together, within the plan's rule limit, or not at all) and removing one
//! with its rules.

use actix_web::{HttpResponse, delete, get, post, web};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::{presets, rules};
use crate::db::types::Json;
use crate::error::AppResult;
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::presets::games::GameView;
use crate::presets::model::{GameRule, PresetInput, PresetKind, PresetRow, PresetView, under};
use crate::rules::model;
use crate::workspaces::model::{self as ws_model, Workspace};
use crate::workspaces::permissions::Action;
use crate::workspaces::plans::Resource;
use crate::workspaces::scope::{Note, WorkspaceScope};

#[derive(Debug, Serialize, ToSchema)]
pub struct KindView {
    pub kind: PresetKind,
    /// Whether this server builds it yet.
    pub available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Presets {
    pub kinds: Vec<KindView>,
    pub presets: Vec<PresetView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPreset {
    pub id: String,
    pub kind: PresetKind,
    pub name: String,
    pub rule_ids: Vec<String>,
}

/// The kinds of game, and the workspace's games.
#[utoipa::path(tag = "presets", responses((status = 200, body = Presets)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/presets")]
pub async fn list_presets(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Presets>> {
    let scope = WorkspaceScope::enter(&state, &caller, &path, Action::View).await?;
    let ws = scope.workspace_id().to_owned();
    let rows = state.db.run(move |conn| PresetRow::list(conn, &ws)).await?;
    Ok(web::Json(Presets {
        kinds: PresetKind::ALL
            .iter()
            .copied()
            .map(|kind| KindView {
                kind,
                available: kind.available(),
            })
            .collect(),
        presets: rows.iter().map(PresetRow::view).collect(),
    }))
}

/// Makes a game (owner, admin): its rules are ordinary rules, editable afterwards.
#[utoipa::path(tag = "presets", request_body = PresetInput,
    responses((status = 201, body = CreatedPreset), (status = 402, description = "its rules would pass the plan's limit"),
        (status = 422, description = "VALIDATION_FAILED: the field (`gifts[0].device_id`…) and why")),
    security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/presets")]
pub async fn create_preset(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<PresetInput>,
) -> AppResult<HttpResponse> {
    let created = create(&state, &caller, &path, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    input: PresetInput,
) -> AppResult<CreatedPreset> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageRules).await?;
    let plan = scope.access.workspace.plan();
    let preset_id = new_id(prefix::PRESET);
    let inputs = input.rules(&preset_id)?;
    let (kind, name) = (input.kind(), input.name().trim().to_owned());
    let created = scope
        .act("preset.created", move |conn, ws| {
            Workspace::lock(conn, ws)?;
            let existing = ws_model::counts(conn, ws)?.rules;
            // The whole game fits, or none of it is made.
            plan.check(
                Resource::Rules,
                existing + i64::try_from(inputs.len()).unwrap_or(i64::MAX) - 1,
            )?;
            let now = now_ms();
            let mut rule_ids = Vec::with_capacity(inputs.len());
            for GameRule { path, rule, role } in inputs {
                model::check_regex_budget(conn, ws, None, &rule).map_err(|e| under(&path, e))?;
                let mut valid = model::validate(conn, ws, rule).map_err(|e| under(&path, e))?;
                valid.options.game = role;
                let row = valid.into_row(new_id(prefix::RULE), ws, now)?;
                diesel::insert_into(rules::table)
                    .values(&row)
                    .execute(conn)?;
                rule_ids.push(row.id);
            }
            let row = PresetRow {
                id: preset_id,
                workspace_id: ws.to_owned(),
                kind,
                name,
                config: Json::new(input)?,
                rule_ids: Json::new(rule_ids.clone())?,
                created_at: now,
            };
            diesel::insert_into(presets::table)
                .values(&row)
                .execute(conn)?;
            let note = Note::on(&row.id).details(
                serde_json::json!({"kind": row.kind, "name": row.name, "rule_ids": rule_ids}),
            );
            Ok((row, note))
        })
        .await?;
    reload(state, &created.workspace_id, created.rule_ids.get()).await;
    Ok(CreatedPreset {
        id: created.id,
        kind: created.kind,
        name: created.name,
        rule_ids: created.rule_ids.into_inner(),
    })
}

async fn reload(state: &AppState, ws: &str, rule_ids: &[String]) {
    for rule_id in rule_ids {
        state
            .control
            .emit(ControlEvent::RulesChanged {
                workspace_id: ws.to_owned(),
                rule_id: rule_id.clone(),
            })
            .await;
    }
}

/// Removes a game and its rules (those still there: a rule deleted by hand is already gone).
#[utoipa::path(tag = "presets", responses((status = 204), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/workspaces/{ws}/presets/{id}")]
pub async fn delete_preset(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    delete(&state, &caller, &ws, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a game and its rules (API and dashboard).
pub async fn delete(state: &AppState, caller: &Caller, ws: &str, id: &str) -> AppResult<()> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageRules).await?;
    let row: PresetRow = scope.find(id).await?;
    let rule_ids = row.rule_ids.get().clone();
    let removed = rule_ids.clone();
    scope
        .act("preset.deleted", move |conn, ws| {
            diesel::delete(
                rules::table
                    .filter(rules::workspace_id.eq(ws))
                    .filter(rules::id.eq_any(&removed)),
            )
            .execute(conn)?;
            diesel::delete(presets::table.filter(presets::id.eq(&row.id))).execute(conn)?;
            let note = Note::on(&row.id)
                .details(serde_json::json!({"name": row.name, "rule_ids": removed}));
            Ok(((), note))
        })
        .await?;
    reload(state, scope.workspace_id(), &rule_ids).await;
    state.stage.games.forget(id).await;
    Ok(())
}

/// The game's live state: goal progress, the vote's counts and time left, the queue and whose
/// turn it is, the wheel's last choice (as this node's rule engine keeps it).
#[utoipa::path(tag = "presets", responses((status = 200, body = GameView), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/presets/{id}/state")]
pub async fn preset_state(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<GameView>> {
    let (ws, id) = path.into_inner();
    let scope = WorkspaceScope::enter(&state, &caller, &ws, Action::View).await?;
    let row: PresetRow = scope.find(&id).await?;
    let view = state.stage.games.view(&row, state.router.now_ms()).await;
    Ok(web::Json(view))
}
