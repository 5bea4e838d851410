//! `/workspaces/{ws}/livestreams`: create, list, read, delete, connect, disconnect, inject.

use actix_web::{HttpResponse, delete, get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::changes::ChangeKind;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::livestreams;
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::live::actor::Inject;
use crate::live::model::{self, LivestreamRow, LivestreamView, SourceKind, Stats, Status};
use crate::live::registry::{Connect, Lookup, RuntimeOf};
use crate::protocol::{Event, EventKind};
use crate::text::Name;
use crate::workspaces::access::authorize;
use crate::workspaces::model::{self as ws_model, Workspace};
use crate::workspaces::permissions::Action;
use crate::workspaces::plans::Resource;
use crate::workspaces::scope::{Note, WorkspaceScope};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLivestream {
    /// `@user`, `user` or `https://www.tiktok.com/@user/live`.
    pub target: String,
    pub source: Option<SourceKind>,
    pub name: Option<String>,
    pub auto_reconnect: Option<bool>,
    /// TikTok's room id (digits), for an account whose room the lookup cannot find: the
    /// lookup is then skipped.
    pub room_id: Option<String>,
}

async fn view_of(state: &AppState, row: LivestreamRow) -> LivestreamView {
    let runtime = state
        .live
        .send(RuntimeOf(row.id.clone()))
        .await
        .ok()
        .flatten();
    row.view(runtime)
}

/// Adds a livestream to the workspace (not connected yet).
#[utoipa::path(tag = "livestreams", request_body = CreateLivestream, responses((status = 201, body = LivestreamView), (status = 402), (status = 409)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/livestreams")]
pub async fn create_livestream(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CreateLivestream>,
) -> AppResult<HttpResponse> {
    let row = create(&state, &caller, &path, body.0).await?;
    Ok(HttpResponse::Created().json(row.view(None)))
}

/// Adds a livestream (API and dashboard), within the plan's limit.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    body: CreateLivestream,
) -> AppResult<LivestreamRow> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageLivestreams).await?;
    let unique_id = model::parse_target(&body.target)?;
    let name = match body.name.as_deref() {
        Some(n) => Name::parse("name", n)?.into(),
        None => format!("@{unique_id}"),
    };
    let source = body.source.unwrap_or(SourceKind::Tiktok);
    let room_id_override = match body.room_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) if id.len() <= 25 && id.bytes().all(|b| b.is_ascii_digit()) => Some(id.to_owned()),
        Some(_) => {
            return Err(AppError::invalid(
                "room_id",
                "TikTok room ids are digits (at most 25)",
            ));
        }
    };
    let now = now_ms();
    let row = LivestreamRow {
        id: new_id(prefix::LIVESTREAM),
        workspace_id: scope.workspace_id().to_owned(),
        source,
        unique_id,
        name,
        auto_reconnect: body.auto_reconnect.unwrap_or(true),
        desired_connected: false,
        status: Status::Idle,
        room_id: None,
        last_error: None,
        stats: Json::new(Stats::default())?,
        connected_at: None,
        created_at: now,
        updated_at: now,
        room_id_override,
    };
    let plan = scope.access.workspace.plan();
    let inserted = row.clone();
    scope
        .act("livestream.created", move |conn, ws| {
            Workspace::lock(conn, ws)?;
            plan.check(
                Resource::Livestreams,
                ws_model::counts(conn, ws)?.livestreams,
            )?;
            diesel::insert_into(livestreams::table)
                .values(&inserted)
                .execute(conn)
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => {
                        AppError::Conflict("this workspace already follows that account".into())
                    }
                    other => other,
                })?;
            let details =
                serde_json::json!({"unique_id": inserted.unique_id, "source": inserted.source});
            Ok(((), Note::on(&inserted.id).details(details)))
        })
        .await?;
    changed(state, &row);
    Ok(row)
}

fn changed(state: &AppState, row: &LivestreamRow) {
    state.changes.publish(
        &row.workspace_id,
        ChangeKind::Livestream {
            livestream_id: row.id.clone(),
        },
    );
}

/// The workspace's livestreams with their status and counters.
#[utoipa::path(tag = "livestreams", responses((status = 200, body = Vec<LivestreamView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/livestreams")]
pub async fn list_livestreams(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<LivestreamView>>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    views(&state, &access.workspace.id).await.map(web::Json)
}

/// The livestreams of a workspace, with what their running actors know.
pub async fn views(state: &AppState, ws: &str) -> AppResult<Vec<LivestreamView>> {
    let ws = ws.to_owned();
    let rows = state
        .db
        .run(move |conn| LivestreamRow::list(conn, &ws))
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view_of(state, row).await);
    }
    Ok(views)
}

async fn load(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: &str,
    action: Action,
) -> AppResult<LivestreamRow> {
    let access = authorize(state, caller, ws, action).await?;
    let (ws, id) = (access.workspace.id, id.to_owned());
    state
        .db
        .run(move |conn| LivestreamRow::find(conn, &ws, &id))
        .await
}

/// One livestream: status, room, viewers, counters, last error.
#[utoipa::path(tag = "livestreams", responses((status = 200, body = LivestreamView), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/livestreams/{id}")]
pub async fn get_livestream(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<LivestreamView>> {
    let (ws, id) = path.into_inner();
    let row = load(&state, &caller, &ws, &id, Action::View).await?;
    Ok(web::Json(view_of(&state, row).await))
}

/// Disconnects and removes a livestream.
#[utoipa::path(tag = "livestreams", responses((status = 204), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/workspaces/{ws}/livestreams/{id}")]
pub async fn delete_livestream(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    let scope = WorkspaceScope::enter(&state, &caller, &ws, Action::ManageLivestreams).await?;
    let row: LivestreamRow = scope.find(&id).await?;
    wanted(&state, &row, false).await;
    scope
        .act("livestream.deleted", move |conn, _| {
            diesel::delete(livestreams::table.find(&row.id)).execute(conn)?;
            let details = serde_json::json!({"unique_id": row.unique_id});
            Ok(((), Note::on(&row.id).details(details)))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusAnswer {
    pub status: Status,
}

/// Connects the livestream (its actor starts; progress shows in `status`). Survives restarts.
#[utoipa::path(tag = "livestreams", responses((status = 202, body = StatusAnswer)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/livestreams/{id}/connect")]
pub async fn connect_livestream(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    set_connected(&state, &caller, &ws, &id, true).await?;
    Ok(HttpResponse::Accepted().json(StatusAnswer {
        status: Status::Connecting,
    }))
}

/// Disconnects the livestream.
#[utoipa::path(tag = "livestreams", responses((status = 202, body = StatusAnswer)), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/livestreams/{id}/disconnect")]
pub async fn disconnect_livestream(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    set_connected(&state, &caller, &ws, &id, false).await?;
    Ok(HttpResponse::Accepted().json(StatusAnswer {
        status: Status::Idle,
    }))
}

/// Connects (its actor starts; progress shows in `status`; survives restarts) or disconnects
/// a livestream.
pub async fn set_connected(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: &str,
    connected: bool,
) -> AppResult<()> {
    let row = load(state, caller, ws, id, Action::ManageLivestreams).await?;
    let lid = row.id.clone();
    state
        .db
        .run(move |conn| model::set_desired(conn, &lid, connected))
        .await?;
    if connected {
        state
            .live
            .send(Connect(row.spec()))
            .await
            .map_err(AppError::internal)?;
    }
    wanted(state, &row, connected).await;
    Ok(())
}

/// Tells every node whether the livestream should run now (the one running it stops it).
async fn wanted(state: &AppState, row: &LivestreamRow, connected: bool) {
    state
        .control
        .emit(ControlEvent::LivestreamWanted {
            workspace_id: row.workspace_id.clone(),
            livestream_id: row.id.clone(),
            connected,
        })
        .await;
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InjectedEvent {
    pub event_id: String,
}

/// Injects a test event (`simulated: true`). It goes through the bus and the rules like a real one.
#[utoipa::path(tag = "livestreams", request_body = EventKind, responses((status = 202, body = InjectedEvent), (status = 429, description = "over the workspace's test events per minute")), security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/livestreams/{id}/events")]
pub async fn inject_event(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<EventKind>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    let event_id = inject(&state, &caller, &ws, &id, body.0).await?;
    Ok(HttpResponse::Accepted().json(InjectedEvent { event_id }))
}

/// Longest comment a test event may carry.
pub const MAX_INJECTED_COMMENT_CHARS: usize = 500;

/// Publishes a test event (`simulated: true`) of a livestream (API and dashboard).
pub async fn inject(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: &str,
    kind: EventKind,
) -> AppResult<String> {
    let row = load(state, caller, ws, id, Action::InjectEvents).await?;
    // TikTok comments are short; a huge one would only make every regex rule slow for everyone.
    if let EventKind::Comment { text, .. } = &kind
        && text.chars().count() > MAX_INJECTED_COMMENT_CHARS
    {
        return Err(AppError::invalid(
            "payload.text",
            format!("at most {MAX_INJECTED_COMMENT_CHARS} characters"),
        ));
    }
    if let Err(retry_after_s) = state.limits.injected_event(&row.workspace_id) {
        return Err(AppError::RateLimited { retry_after_s });
    }
    let event_id = match state.live.send(Lookup(row.id.clone())).await {
        Ok(Some(actor)) => actor.send(Inject(kind)).await.map_err(AppError::internal)?,
        _ => {
            // Not connected: publish it all the same, so rules can be tried without a stream.
            let event_id = new_id(prefix::EVENT);
            state.bus.publish(std::sync::Arc::new(Event {
                id: event_id.clone(),
                workspace_id: row.workspace_id,
                stream_id: row.id,
                kind,
                ts: now_ms(),
                simulated: true,
            }));
            event_id
        }
    };
    Ok(event_id)
}

/// The gifts TikTok has sent to this installation's livestreams, cheapest first: name, price in
/// diamonds, picture (for choosing a gift in a rule or a game).
#[utoipa::path(tag = "livestreams", responses((status = 200, body = Vec<crate::live::gifts::GiftInfo>)), security(("bearer" = [])))]
#[get("/gifts")]
pub async fn list_gifts(
    state: web::Data<AppState>,
    _caller: Caller,
) -> AppResult<web::Json<Vec<crate::live::gifts::GiftInfo>>> {
    Ok(web::Json(state.db.run(crate::live::gifts::list).await?))
}
