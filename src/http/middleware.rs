//! The one middleware every answer passes through: request id, error-body normalisation,
//! metrics and the access log.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::context::AppState;
use crate::error::AppError;
use crate::http::request_id;

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request_id::from_request(req.request());
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let writes = method != actix_web::http::Method::GET && method != actix_web::http::Method::HEAD;

    // The dashboard speaks the visitor's language; the API and the sockets always speak
    // English (their messages are part of the contract, and logs read the same everywhere).
    let lang = if path.starts_with("/api/") || path.starts_with("/ws/") {
        crate::i18n::Lang::En
    } else {
        crate::i18n::from_request(req.request())
    };
    let mut res = request_id::scope(
        id.clone(),
        crate::i18n::scope(lang, async move {
            let res = next.call(req).await?.map_into_boxed_body();
            Ok::<_, actix_web::Error>(normalise_error_body(res))
        }),
    )
    .await?;

    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = res.status();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state
            .metrics
            .record_http(status.as_u16(), elapsed.as_secs_f64());
        if writes {
            forget_cached_access(&state, &path);
        }
    }
    if status.is_server_error() {
        tracing::warn!(request_id = %id, %method, %path, status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "request failed");
    } else {
        tracing::debug!(request_id = %id, %method, %path, status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "request");
    }
    Ok(res)
}

/// A write may change who can do what: drop the cached authorisations it could affect.
fn forget_cached_access(state: &AppState, path: &str) {
    if let Some(rest) = path
        .strip_prefix("/api/v1/workspaces/")
        .or_else(|| path.strip_prefix("/w/"))
    {
        let ws = rest.split('/').next().unwrap_or_default();
        state.access_cache.invalidate_workspace(ws);
    } else if path.starts_with("/api/v1/admin/") || path.starts_with("/admin/") {
        state.access_cache.invalidate_all();
    }
}

/// Answers made outside our handlers (actix's 404 and 405, a panic's 500) come without our
/// JSON body; give them the contract's shape so that every error looks the same.
fn normalise_error_body(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !status.is_client_error() && !status.is_server_error() || is_json {
        return res;
    }
    // Keep HTML error pages of the dashboard.
    if res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        return res;
    }
    let replacement = AppError::from_status(status).error_response();
    res.into_response(replacement)
}
