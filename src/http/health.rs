//! `/healthz`, `/readyz` and `/metrics`.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection as _;
use serde_json::json;

use crate::context::AppState;
use crate::error::AppError;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 while the process runs.
#[utoipa::path(tag = "operations", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 when every part answers; 503 naming the part that does not.
#[utoipa::path(tag = "operations", responses((status = 200, description = "ready"), (status = 503, description = "a part is down")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let check = db.run(|conn| {
        conn.batch_execute("SELECT 1")?;
        Ok(())
    });
    let database = match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(())) => "ok",
        Ok(Err(_)) => "error",
        Err(_) => "timeout",
    };
    let bus = if state.bus.ready() { "ok" } else { "error" };
    let mqtt = match &state.mqtt {
        Some(broker) if broker.ready() => "ok",
        Some(_) => "error",
        None => "disabled",
    };
    let node = if state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        "stopping"
    } else {
        "ok"
    };
    let checks = json!({"database": database, "bus": bus, "mqtt": mqtt, "node": node});
    let failing: Vec<&str> = [
        ("database", database),
        ("bus", bus),
        ("mqtt", mqtt),
        ("node", node),
    ]
    .iter()
    .filter(|(_, v)| *v != "ok" && *v != "disabled")
    .map(|(k, _)| *k)
    .collect();
    if failing.is_empty() {
        HttpResponse::Ok().json(json!({"status": "ready", "checks": checks}))
    } else {
        tracing::warn!(?failing, "readiness check failed");
        let err = AppError::Unavailable(format!("not ready: {}", failing.join(", ")));
        let mut body = err.body();
        body["details"] = json!({"failing": failing, "checks": checks});
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text: from this machine only, or with the configured `metrics.token`.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenMetrics text format", content_type = "application/openmetrics-text"), (status = 401, description = "metrics.token is set and was not sent"), (status = 403, description = "not from this machine and no metrics.token is configured")))]
#[get("/metrics")]
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Err(err) = metrics_allowed(&req, &state.settings.metrics.token) {
        return actix_web::ResponseError::error_response(&err);
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render(state.db.pool_state()))
}

/// Who may read `/metrics`: anyone with the token when one is set, else this machine only.
fn metrics_allowed(
    req: &actix_web::HttpRequest,
    token: &crate::config::Secret,
) -> Result<(), crate::error::AppError> {
    use subtle::ConstantTimeEq as _;
    if !token.is_empty() {
        let sent = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        return if bool::from(sent.as_bytes().ct_eq(token.expose().as_bytes())) {
            Ok(())
        } else {
            Err(crate::error::AppError::Unauthenticated(
                "send Authorization: Bearer <metrics.token>".into(),
            ))
        };
    }
    match req.peer_addr() {
        Some(peer) if peer.ip().is_loopback() => Ok(()),
        _ => Err(crate::error::AppError::forbidden(
            "metrics are served to this machine only; set metrics.token to read them from elsewhere",
        )),
    }
}
