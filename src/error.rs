//! The one error type of the server and its HTTP shape (`api.md` § Errors).
//!
//! Handlers return `AppResult<T>`; every failure, including extractor errors, unknown routes and
//! oversize bodies, leaves as `{"error","message","status","request_id","timestamp","details"}`.
//! 5xx answers carry a fixed message: the cause goes to the log with the request id, never to
//! the client.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("this refresh token was already used; every session of that login was revoked")]
    TokenReused,
    #[error("unknown or revoked API key")]
    InvalidApiKey,
    #[error("the {plan} plan allows at most {limit} {resource}")]
    PlanLimitReached {
        resource: &'static str,
        limit: i64,
        current: i64,
        plan: String,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("this workspace is suspended")]
    WorkspaceSuspended,
    #[error("registration is by invitation only and this email is not invited")]
    NotInvited,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{}", too_large(*.0))]
    PayloadTooLarge(Option<usize>),
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("the kill switch is engaged")]
    KillSwitchEngaged,
    #[error("too many requests, retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn too_large(limit: Option<usize>) -> String {
    match limit {
        Some(limit) => format!("the request body is larger than {limit} bytes"),
        None => "the request body is too large".to_owned(),
    }
}

impl AppError {
    /// For command-line paths: the cause of an internal error (which the API hides behind
    /// "internal error"), or the message.
    pub fn into_cause(self) -> anyhow::Error {
        match self {
            AppError::Internal(cause) => cause,
            other => anyhow::anyhow!("{other}"),
        }
    }

    /// A 422 for a single field.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut fields = BTreeMap::new();
        fields.insert(field.to_owned(), reason.clone());
        AppError::Validation {
            message: format!("{field}: {reason}"),
            fields,
        }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        AppError::Forbidden(msg.into())
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    /// The machine-readable code of the contract.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "BAD_REQUEST",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::InvalidCredentials => "INVALID_CREDENTIALS",
            AppError::TokenReused => "TOKEN_REUSED",
            AppError::InvalidApiKey => "INVALID_API_KEY",
            AppError::PlanLimitReached { .. } => "PLAN_LIMIT_REACHED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::WorkspaceSuspended => "WORKSPACE_SUSPENDED",
            AppError::NotInvited => "NOT_INVITED",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            AppError::Validation { .. } => "VALIDATION_FAILED",
            AppError::KillSwitchEngaged => "KILL_SWITCH_ENGAGED",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            AppError::Unavailable(_) => "UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    fn details(&self) -> Value {
        match self {
            AppError::PlanLimitReached {
                resource,
                limit,
                current,
                plan,
            } => json!({"resource": resource, "limit": limit, "current": current, "plan": plan}),
            AppError::Validation { fields, .. } => json!({ "fields": fields }),
            AppError::RateLimited { retry_after_s } => json!({ "retry_after_s": retry_after_s }),
            _ => json!({}),
        }
    }

    /// The error a bare status produces (used for answers made outside our handlers, such as
    /// actix's own 404/405/413).
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => AppError::BadRequest("bad request".into()),
            401 => AppError::Unauthenticated("authentication required".into()),
            403 => AppError::forbidden("forbidden"),
            404 => AppError::NotFound("no such route".into()),
            405 => AppError::MethodNotAllowed,
            409 => AppError::Conflict("conflict".into()),
            413 => AppError::PayloadTooLarge(None),
            422 => AppError::invalid("body", "invalid"),
            429 => AppError::RateLimited { retry_after_s: 1 },
            503 => AppError::Unavailable("service unavailable".into()),
            _ => AppError::Internal(anyhow::anyhow!("unexpected status {status}")),
        }
    }

    /// The JSON body of the contract.
    pub fn body(&self) -> Value {
        let status = self.status_code();
        let message = if status.is_server_error() && !matches!(self, AppError::Unavailable(_)) {
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        json!({
            "error": self.code(),
            "message": message,
            "status": status.as_u16(),
            "request_id": crate::http::request_id::current(),
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "details": self.details(),
        })
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated(_)
            | AppError::InvalidCredentials
            | AppError::TokenReused
            | AppError::InvalidApiKey => StatusCode::UNAUTHORIZED,
            AppError::PlanLimitReached { .. } => StatusCode::PAYMENT_REQUIRED,
            AppError::Forbidden(_) | AppError::WorkspaceSuspended | AppError::NotInvited => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::KillSwitchEngaged => StatusCode::LOCKED,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(request_id = %crate::http::request_id::current(), error = ?cause, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
        if let AppError::RateLimited { retry_after_s } = self {
            response.insert_header((RETRY_AFTER, retry_after_s.to_string()));
        }
        response.body(self.body().to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound("not found".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("already exists".into())
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::Internal(err.into())
    }
}
