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

    pub fn status_label(&self) -> &'static str {
        match self.status {
            "idle" => "not connected",
            "connecting" => "connecting…",
            "live" => "live",
            "reconnecting" => "reconnecting…",
            "offline" => "not live",
            "ended" => "LIVE ended",
            _ => "error",
        }
    }
}

/// A connector error code in words, with the remedy.
pub fn explain(code: &str, message: &str, unique_id: &str) -> String {
    match code {
        "USER_NOT_FOUND" => format!("TikTok has no account @{unique_id}. Check the spelling."),
        "USER_OFFLINE" => format!(
            "TikTok says @{unique_id} is not live right now. Connect again once the LIVE has started."
        ),
        "AGE_RESTRICTED" => "This LIVE is age-restricted: the connector needs a signed-in TikTok session (tiktok.session_id) to read it.".to_owned(),
        "BLOCKED_BY_TIKTOK" => "TikTok refused the connection. Wait a few minutes, or connect from another network.".to_owned(),
        "SIGN_RATE_LIMITED" => "The sign server is limiting this instance's requests; livectl retries by itself.".to_owned(),
        "SIGN_UNAUTHORIZED" => "The sign server refused this instance's API key (tiktok.sign_api_key): ask your host to check it.".to_owned(),
        "NETWORK" => "TikTok could not be reached; livectl retries by itself.".to_owned(),
        _ => format!("{code}: {message}"),
    }
}
