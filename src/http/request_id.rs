//! The id of the request being served, visible to everything that runs inside it (error
//! bodies and logs read it from here without having the request at hand).

use actix_web::HttpRequest;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id, or `req_none` outside a request.
pub fn current() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "req_none".to_owned())
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// A client-supplied `x-request-id` is kept when it is short and plain; otherwise we mint one.
pub fn from_request(req: &HttpRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| crate::ids::new_id(crate::ids::prefix::REQUEST))
}
