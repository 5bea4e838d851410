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

pub use self::codes::ErrorCode;

mod codes;

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
    /// An answer made outside our handlers, known only by its status.
    #[error("{message}")]
    Status {
        code: ErrorCode,
        message: &'static str,
    },
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

    /// The machine-readable code of the contract; its status and meaning are in [`ErrorCode`].
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AppError::TokenReused => ErrorCode::TokenReused,
            AppError::InvalidApiKey => ErrorCode::InvalidApiKey,
            AppError::PlanLimitReached { .. } => ErrorCode::PlanLimitReached,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::WorkspaceSuspended => ErrorCode::WorkspaceSuspended,
            AppError::NotInvited => ErrorCode::NotInvited,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            AppError::Validation { .. } => ErrorCode::ValidationFailed,
            AppError::KillSwitchEngaged => ErrorCode::KillSwitchEngaged,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
            AppError::Status { code, .. } => *code,
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

    /// The error a bare status produces (answers made outside our handlers, such as actix's
    /// own 404/405/413): the table's code for that status, with its plain message.
    pub fn from_status(status: StatusCode) -> Self {
        match ErrorCode::for_status(status) {
            Some(ErrorCode::ValidationFailed) => AppError::invalid("body", "invalid"),
            Some(ErrorCode::RateLimited) => AppError::RateLimited { retry_after_s: 1 },
            Some(ErrorCode::PayloadTooLarge) => AppError::PayloadTooLarge(None),
            Some(code) => AppError::Status {
                code,
                message: code.plain_message(),
            },
            None => AppError::Internal(anyhow::anyhow!("unexpected status {status}")),
        }
    }

    /// The JSON body of the contract.
    pub fn body(&self) -> Value {
        let status = self.status_code();
        let message = if status.is_server_error() && self.code() != ErrorCode::Unavailable {
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        json!({
            "error": self.code().as_str(),
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
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(request_id = %crate::http::request_id::current(), error = ?cause, "internal error");
            }
            AppError::Status { code, .. } if code.status().is_server_error() => {
                tracing::error!(request_id = %crate::http::request_id::current(), code = code.as_str(), "a server error answered outside the handlers");
            }
            _ => {}
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
