//! `/healthz`, `/readyz` and `/metrics`.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection as _;
use serde_json::json;

use crate::error::AppError;
use crate::startup::AppState;

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
    let checks = json!({"database": database, "bus": bus, "mqtt": mqtt});
    let failing: Vec<&str> = [("database", database), ("bus", bus), ("mqtt", mqtt)]
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

/// Prometheus text.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut text = state.metrics.render(state.db.pool_state());
    state.bus.render_metrics(&mut text);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text)
}
