//! How the dashboard shows a livestream: status in words, the last error with what to do.

use crate::live::model::{LivestreamView, SourceKind, Stats};

pub struct LivestreamCard {
    pub id: String,
    pub name: String,
    pub unique_id: String,
    pub simulator: bool,
    /// The API's status (`idle`, `connecting`, `live`, …).
    pub status: &'static str,
    pub viewers: i64,
    pub stats: Stats,
    /// The last error in words, with what to do (empty when none).
    pub problem: String,
    pub connected: bool,
}

impl LivestreamCard {
    pub fn new(view: &LivestreamView) -> Self {
        let status = view.status.as_str();
        Self {
            id: view.id.clone(),
            name: view.name.clone(),
            unique_id: view.unique_id.clone(),
            simulator: view.source == SourceKind::Simulator,
            status,
            viewers: view.viewer_count,
            stats: view.stats,
            problem: view
                .last_error
                .as_ref()
                .map(|e| explain(&e.code, &e.message, &view.unique_id))
                .unwrap_or_default(),
            connected: matches!(status, "connecting" | "live" | "reconnecting"),
        }
    }

    pub fn status_label(&self) -> std::borrow::Cow<'static, str> {
        crate::i18n::t(match self.status {
            "idle" => "ls-idle",
            "connecting" => "ls-connecting",
            "live" => "ls-live",
            "reconnecting" => "ls-reconnecting",
            "offline" => "ls-offline",
            "ended" => "ls-ended",
            _ => "ls-error",
        })
    }
}

/// A connector error code in words, with the remedy.
pub fn explain(code: &str, message: &str, unique_id: &str) -> String {
    let id = match code {
        "USER_NOT_FOUND" => "tiktok-user-not-found",
        "USER_OFFLINE" => "tiktok-user-offline",
        "AGE_RESTRICTED" => "tiktok-age-restricted",
        "BLOCKED_BY_TIKTOK" => "tiktok-blocked",
        "SIGN_RATE_LIMITED" => "tiktok-sign-rate-limited",
        "SIGN_UNAUTHORIZED" => "tiktok-sign-unauthorized",
        "NETWORK" => "tiktok-network",
        _ => return format!("{code}: {message}"),
    };
    crate::i18n::t1(id, "user", unique_id).into_owned()
}
