//! The one browser livectl presents to TikTok. TikTok checks that the User-Agent of every call
//! agrees with the browser the push URL describes (`webcast-2026.md` §1.3–1.4: a mismatch gets
//! an empty answer or `DEVICE_BLOCKED`), so the sign call, the room lookup, the socket's headers
//! and its URL parameters all come from here.

use crate::config::TiktokSettings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserIdentity {
    pub user_agent: String,
    /// `en-US`.
    pub language: String,
    /// `Win32`, `MacIntel`, `Linux x86_64`.
    pub platform: String,
    /// `Europe/Paris`.
    pub tz_name: String,
    pub screen_width: u32,
    pub screen_height: u32,
}

impl BrowserIdentity {
    pub fn of(settings: &TiktokSettings) -> BrowserIdentity {
        BrowserIdentity {
            user_agent: settings.user_agent.clone(),
            language: settings.browser_language.clone(),
            platform: settings.browser_platform.clone(),
            tz_name: settings.tz_name.clone(),
            screen_width: 1920,
            screen_height: 1080,
        }
    }

    /// `Mozilla`: what a browser's `navigator.appCodeName` says.
    fn browser_name(&self) -> &str {
        self.user_agent
            .split_once('/')
            .map_or("Mozilla", |(name, _)| name)
    }

    /// `5.0 (Windows NT 10.0; …) … Safari/537.36`: `navigator.appVersion`, the User-Agent after
    /// its first slash.
    fn browser_version(&self) -> &str {
        self.user_agent
            .split_once('/')
            .map_or(self.user_agent.as_str(), |(_, version)| version)
    }

    /// `en`, from `en-US`.
    fn app_language(&self) -> &str {
        self.language
            .split_once('-')
            .map_or(self.language.as_str(), |(short, _)| short)
    }

    /// The parameters a browser's push URL carries about itself.
    pub fn socket_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("browser_language", self.language.clone()),
            ("browser_platform", self.platform.clone()),
            ("browser_name", self.browser_name().to_owned()),
            ("browser_version", self.browser_version().to_owned()),
            ("browser_online", "true".to_owned()),
            ("cookie_enabled", "true".to_owned()),
            ("tz_name", self.tz_name.clone()),
            ("app_language", self.app_language().to_owned()),
            ("webcast_language", self.app_language().to_owned()),
            ("screen_width", self.screen_width.to_string()),
            ("screen_height", self.screen_height.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameters_describe_the_user_agent() {
        let settings = crate::config::Settings::defaults().unwrap().tiktok;
        let identity = BrowserIdentity::of(&settings);
        let params: std::collections::HashMap<_, _> =
            identity.socket_params().into_iter().collect();
        assert_eq!(params["browser_name"], "Mozilla");
        assert_eq!(
            format!("{}/{}", params["browser_name"], params["browser_version"]),
            settings.user_agent
        );
        assert_eq!(params["app_language"], "en");
        assert_eq!(params["browser_language"], "en-US");
    }
}
