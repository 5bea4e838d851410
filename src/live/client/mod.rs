//! The TikTok webcast client: room lookup, the sign step, the push socket
//! (`shared/notes/webcast-protocol.md` §1). Base URLs come from configuration so that tests can
//! point them at a local fake that speaks the same protocol.

pub mod identity;
pub mod proxy;
pub mod room;
pub mod sign;
pub mod socket;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const DEFAULT_COOKIE: &str = "tt-target-idc=useast1a";

/// Installs the process-wide TLS crypto provider (ring) once. rustls refuses to guess when
/// several crates enable different providers, so we choose.
pub fn ensure_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client for TikTok and the sign server, as the browser `user_agent` (the socket
/// presents the same one: a different User-Agent gets `DEVICE_BLOCKED`), through `proxy`
/// when one is set.
pub fn http_client(user_agent: &str, proxy: &str) -> reqwest::Result<reqwest::Client> {
    ensure_crypto_provider();
    let mut builder = reqwest::Client::builder();
    if !proxy.is_empty() {
        builder = builder.proxy(reqwest::Proxy::all(proxy)?);
    }
    builder
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .build()
}

/// `last_error` of a livestream (`api.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LastError {
    pub code: String,
    pub message: String,
}

/// Why connecting failed, and so what to do next.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectError {
    #[error("no TikTok account with this name")]
    UserNotFound,
    #[error("the account is not live right now")]
    UserOffline,
    #[error("this LIVE is age-restricted; set tiktok.session_id to a logged-in adult session")]
    AgeRestricted,
    #[error("TikTok refused the connection: {0}")]
    BlockedByTiktok(String),
    #[error("the sign server's rate limit was reached")]
    SignRateLimited { retry_after: Option<Duration> },
    #[error("the sign server refused the API key: {0}")]
    SignUnauthorized(String),
    #[error("the sign server failed: {0}")]
    SignUnavailable(String),
    #[error("network: {0}")]
    Network(String),
    #[error("TikTok sent nothing for {} s; reconnecting", .0.as_secs())]
    Stalled(Duration),
    #[error("{connects} connections in the last hour, the most one livestream may open; waiting")]
    ConnectBudget {
        connects: u32,
        retry_after: Duration,
    },
    #[error(
        "{calls} sign-server calls in the last minute with this API key, the most allowed; waiting"
    )]
    SignBudget { calls: u32, retry_after: Duration },
}

impl ConnectError {
    pub fn code(&self) -> &'static str {
        match self {
            ConnectError::UserNotFound => "USER_NOT_FOUND",
            ConnectError::UserOffline => "USER_OFFLINE",
            ConnectError::AgeRestricted => "AGE_RESTRICTED",
            ConnectError::BlockedByTiktok(_) => "BLOCKED_BY_TIKTOK",
            ConnectError::SignRateLimited { .. } => "SIGN_RATE_LIMITED",
            ConnectError::SignUnauthorized(_) => "SIGN_UNAUTHORIZED",
            ConnectError::SignUnavailable(_) => "SIGN_UNAVAILABLE",
            ConnectError::Network(_) => "NETWORK",
            ConnectError::Stalled(_) => "STALLED",
            ConnectError::ConnectBudget { .. } => "CONNECT_BUDGET",
            ConnectError::SignBudget { .. } => "SIGN_BUDGET",
        }
    }

    /// How long to wait at least before the next attempt, when the error says.
    pub fn wait_at_least(&self) -> Option<Duration> {
        match self {
            ConnectError::SignRateLimited { retry_after } => *retry_after,
            ConnectError::ConnectBudget { retry_after, .. }
            | ConnectError::SignBudget { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Often not what it says (TikTok rate-limiting, a captcha): tried again a few times
    /// before it is final.
    pub fn is_maybe_transient(&self) -> bool {
        matches!(
            self,
            ConnectError::UserNotFound | ConnectError::AgeRestricted
        )
    }

    pub fn last_error(&self) -> LastError {
        LastError {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }

    /// Waiting can fix it (as opposed to a wrong name or a refused key).
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            ConnectError::UserNotFound
                | ConnectError::SignUnauthorized(_)
                | ConnectError::AgeRestricted
        )
    }
}

impl From<reqwest::Error> for ConnectError {
    fn from(err: reqwest::Error) -> Self {
        ConnectError::Network(err.without_url().to_string())
    }
}
