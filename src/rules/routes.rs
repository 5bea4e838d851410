//! `/workspaces/{ws}/rules`: create, list, read, replace, delete, enable, disable, test.

use actix_web::{HttpResponse, delete, get, post, put, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::rules;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::protocol::{Event, EventKind};
use crate::rules::engine::{TestEvent, TestResult};
use crate::rules::matcher::CompiledRule;
use crate::rules::model::{self, RuleInput, RuleRow, RuleView};
use crate::workspaces::access::authorize;
use crate::workspaces::model::{self as ws_model, Workspace};
use crate::workspaces::permissions::Action;
use crate::workspaces::plans::Resource;
use crate::workspaces::scope::{Note, WorkspaceScope};

/// Tells the engine, and waits until it has the new rules (so the next event sees them);
/// then the open views.
async fn reload(state: &AppState, ws: &str, rule_id: &str) {
    state
        .control
        .emit(ControlEvent::RulesChanged {
            workspace_id: ws.to_owned(),
            rule_id: rule_id.to_owned(),
        })
        .await;
}

/// Creates a rule (owner, admin). Validated against the workspace's devices and livestreams.
#[utoipa::path(tag = "rules", request_body = RuleInput, responses((status = 201, body = RuleView), (status = 402), (status = 422)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/rules")]
pub async fn create_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<RuleInput>,
) -> AppResult<HttpResponse> {
    let row = create(&state, &caller, &path, body.0).await?;
    Ok(HttpResponse::Created().json(row.view()?))
}

/// Creates a rule (API and dashboard): plan limit, validation against the workspace's devices
/// and livestreams, audit, and the engine has it before this returns.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    input: RuleInput,
) -> AppResult<RuleRow> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageRules).await?;
    let plan = scope.access.workspace.plan();
    let row = scope
        .act("rule.created", move |conn, ws| {
            Workspace::lock(conn, ws)?;
            plan.check(Resource::Rules, ws_model::counts(conn, ws)?.rules)?;
            model::check_regex_budget(conn, ws, None, &input)?;
            let row =
                model::validate(conn, ws, input)?.into_row(new_id(prefix::RULE), ws, now_ms())?;
            diesel::insert_into(rules::table)
                .values(&row)
                .execute(conn)?;
            let note = Note::on(&row.id).details(serde_json::json!({"name": row.name}));
            Ok((row, note))
        })
        .await?;
    reload(state, &row.workspace_id, &row.id).await;
    Ok(row)
}

/// The workspace's rules, highest priority first.
#[utoipa::path(tag = "rules", responses((status = 200, body = Vec<RuleView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/rules")]
pub async fn list_rules(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<RuleView>>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let ws = access.workspace.id;
    let rows = state.db.run(move |conn| RuleRow::list(conn, &ws)).await?;
    Ok(web::Json(
        rows.iter().map(RuleRow::view).collect::<AppResult<_>>()?,
    ))
}

/// One rule.
#[utoipa::path(tag = "rules", responses((status = 200, body = RuleView), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/rules/{id}")]
pub async fn get_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<RuleView>> {
    let (ws, id) = path.into_inner();
    let access = authorize(&state, &caller, &ws, Action::View).await?;
    let ws = access.workspace.id;
    let row = state
        .db
        .run(move |conn| RuleRow::find(conn, &ws, &id))
        .await?;
    Ok(web::Json(row.view()?))
}

/// Replaces a rule (owner, admin).
#[utoipa::path(tag = "rules", request_body = RuleInput, responses((status = 200, body = RuleView), (status = 422)), security(("bearer" = []), ("api_key" = [])))]
#[put("/workspaces/{ws}/rules/{id}")]
pub async fn replace_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<RuleInput>,
) -> AppResult<web::Json<RuleView>> {
    let (ws, id) = path.into_inner();
    let scope = WorkspaceScope::enter(&state, &caller, &ws, Action::ManageRules).await?;
    let input = body.0;
    let row = scope
        .act("rule.updated", move |conn, ws| {
            let old = RuleRow::find(conn, ws, &id)?;
            model::check_regex_budget(conn, ws, Some(&id), &input)?;
            let changes = model::validate(conn, ws, input)?.into_changes(&old, now_ms())?;
            diesel::update(rules::table.find(&old.id))
                .set(&changes)
                .execute(conn)?;
            let row = RuleRow::find(conn, ws, &old.id)?;
            let note = Note::on(&row.id);
            Ok((row, note))
        })
        .await?;
    reload(&state, &row.workspace_id, &row.id).await;
    Ok(web::Json(row.view()?))
}

/// Deletes a rule (owner, admin).
#[utoipa::path(tag = "rules", responses((status = 204), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/workspaces/{ws}/rules/{id}")]
pub async fn delete_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    let scope = WorkspaceScope::enter(&state, &caller, &ws, Action::ManageRules).await?;
    let rule_id = id.clone();
    scope
        .act("rule.deleted", move |conn, ws| {
            let row = RuleRow::find(conn, ws, &id)?;
            diesel::delete(rules::table.find(&row.id)).execute(conn)?;
            Ok((
                (),
                Note::on(&row.id).details(serde_json::json!({"name": row.name})),
            ))
        })
        .await?;
    reload(&state, scope.workspace_id(), &rule_id).await;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn set_enabled(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: String,
    enabled: bool,
) -> AppResult<RuleView> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ToggleRule).await?;
    let kind = if enabled {
        "rule.enabled"
    } else {
        "rule.disabled"
    };
    let row = scope
        .act(kind, move |conn, ws| {
            let row = RuleRow::find(conn, ws, &id)?;
            diesel::update(rules::table.find(&row.id))
                .set((rules::enabled.eq(enabled), rules::updated_at.eq(now_ms())))
                .execute(conn)?;
            let note = Note::on(&row.id);
            Ok((RuleRow::find(conn, ws, &row.id)?, note))
        })
        .await?;
    reload(state, &row.workspace_id, &row.id).await;
    row.view()
}

/// Enables a rule (operators may).
#[utoipa::path(tag = "rules", responses((status = 200, body = RuleView)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/rules/{id}/enable")]
pub async fn enable_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<RuleView>> {
    let (ws, id) = path.into_inner();
    set_enabled(&state, &caller, &ws, id, true)
        .await
        .map(web::Json)
}

/// Disables a rule (operators may).
#[utoipa::path(tag = "rules", responses((status = 200, body = RuleView)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/rules/{id}/disable")]
pub async fn disable_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<RuleView>> {
    let (ws, id) = path.into_inner();
    set_enabled(&state, &caller, &ws, id, false)
        .await
        .map(web::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    pub livestream_id: Option<String>,
    /// `{event_type, payload}` as on the bus.
    pub event: EventKind,
    /// An unsaved rule to try as well (validated like a new one); its line comes first, with
    /// `rule_id: "draft"`.
    #[serde(default)]
    pub rule: Option<RuleInput>,
}

/// For every rule: would this event fire it, and if not, which condition or cooldown stops it.
/// Nothing is sent to hardware and no cooldown or counter moves.
#[utoipa::path(tag = "rules", request_body = TestRequest, responses((status = 200, body = Vec<TestResult>)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/rules/test")]
pub async fn test_rules(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<TestRequest>,
) -> AppResult<web::Json<Vec<TestResult>>> {
    let body = body.0;
    dry_run(
        &state,
        &caller,
        &path,
        body.livestream_id,
        body.event,
        body.rule,
    )
    .await
    .map(web::Json)
}

/// Evaluates every rule against an event without moving anything (API and dashboard).
pub async fn dry_run(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    livestream_id: Option<String>,
    event: EventKind,
    draft: Option<RuleInput>,
) -> AppResult<Vec<TestResult>> {
    let access = authorize(state, caller, ws, Action::ManageRules).await?;
    let draft = match draft {
        Some(input) => {
            let ws = access.workspace.id.clone();
            let row = state
                .db
                .run(move |conn| {
                    model::validate(conn, &ws, input)?.into_row("draft".to_owned(), &ws, now_ms())
                })
                .await?;
            Some(CompiledRule::compile(&row)?)
        }
        None => None,
    };
    let event = Event {
        id: new_id(prefix::EVENT),
        workspace_id: access.workspace.id,
        stream_id: livestream_id.unwrap_or_default(),
        kind: event,
        ts: now_ms(),
        simulated: true,
    };
    state
        .rules
        .send(TestEvent { event, draft })
        .await
        .map_err(AppError::internal)
}
