//! Request extractors with the contract's errors.
//!
//! `ApiJson<T>` replaces `web::Json<T>`: it tells malformed JSON (400) from well-formed but
//! wrong data (422, with the field's path), enforces `server.max_body_bytes` while reading
//! (413) and refuses an empty body or a wrong content type (400).

use std::collections::BTreeMap;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::context::AppState;
use crate::error::AppError;

const DEFAULT_LIMIT: usize = 64 * 1024;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(DEFAULT_LIMIT, |s| s.settings.server.max_body_bytes);
        let content_type_ok = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let essence = v.split(';').next().unwrap_or_default().trim();
                essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
            });
        let declared_len = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|len| len > limit) {
                return Err(AppError::PayloadTooLarge(Some(limit)));
            }
            if !content_type_ok {
                return Err(AppError::BadRequest(
                    "expected a JSON body with Content-Type: application/json".into(),
                ));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::BadRequest(format!("reading the body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(AppError::PayloadTooLarge(Some(limit)));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

/// Parses a whole JSON document, mapping failures to the contract's codes.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "the request body is empty; expected JSON".into(),
        ));
    }
    // Every body of the API is an object. serde would also read a struct from an array of its
    // fields in order (`[null, null]`), which no client means.
    let starts_as_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_as_object && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." || path.is_empty() {
                    "body".to_owned()
                } else {
                    path
                };
                let reason = strip_position(&inner.to_string());
                let mut fields = BTreeMap::new();
                fields.insert(field.clone(), reason.clone());
                AppError::Validation {
                    message: format!("{field}: {reason}"),
                    fields,
                }
            }
            _ => AppError::BadRequest(format!("malformed JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// serde_json appends " at line 1 column 42" to data errors; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The `limit` of a paginated list: 1..=200, 50 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, AppError> {
    let limit = limit.unwrap_or(50);
    if (1..=200).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::invalid("limit", "must be between 1 and 200"))
    }
}

/// Query-string errors get the contract shape too.
pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    AppError::invalid("query", err.to_string()).into()
}

/// A path segment that does not parse means the resource does not exist.
pub fn path_error_handler(
    _err: actix_web::error::PathError,
    _req: &HttpRequest,
) -> actix_web::Error {
    AppError::NotFound("not found".into()).into()
}
