//! What a user chooses for their dashboard, kept with the account (every browser they sign in
//! with follows it).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

crate::text_enum! {
    /// How much room each live-feed row takes.
    #[derive(Default)]
    pub enum FeedDensity {
        #[default]
        Comfortable => "comfortable",
        Compact => "compact",
    }
}

/// The stored preferences; a missing field is its default (older rows have none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Preferences {
    /// The dashboard's language; `null` follows the browser's `Accept-Language`.
    pub language: Option<Lang>,
    /// Ask before the kill switch engages (off by default: one press must stop the hardware).
    pub confirm_before_stop: bool,
    /// A keyboard shortcut that engages the kill switch (never releases it); `null`: none.
    /// A key with Ctrl, Alt or Meta (`Ctrl+Shift+S`), or a function key alone (`F9`).
    #[schema(example = "Ctrl+Shift+S")]
    pub kill_shortcut: Option<String>,
    pub feed_density: FeedDensity,
    /// No animations or smooth scrolling in the dashboard, whatever the system says.
    pub reduced_motion: bool,
}

/// A shortcut as the browser's script matches it: modifiers in the order Ctrl, Alt, Shift,
/// Meta, then the key (`A`–`Z`, `0`–`9`, `F1`–`F12`). Anything else is refused.
pub fn parse_shortcut(raw: &str) -> AppResult<String> {
    let invalid = || {
        AppError::invalid(
            "kill_shortcut",
            "use Ctrl, Alt or Meta with a letter or digit (Ctrl+Shift+S), or a function key (F9)",
        )
    };
    let parts: Vec<&str> = raw.split('+').map(str::trim).collect();
    let (key, modifiers) = parts.split_last().ok_or_else(invalid)?;
    let mut wanted = [false; 4];
    const ORDER: [&str; 4] = ["Ctrl", "Alt", "Shift", "Meta"];
    for modifier in modifiers {
        let i = ORDER
            .iter()
            .position(|m| m.eq_ignore_ascii_case(modifier))
            .ok_or_else(invalid)?;
        if wanted[i] {
            return Err(invalid());
        }
        wanted[i] = true;
    }
    let key = key.to_ascii_uppercase();
    let function_key = key
        .strip_prefix('F')
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=12).contains(&n));
    let plain_key = key.len() == 1 && key.chars().all(|c| c.is_ascii_alphanumeric());
    // A letter alone (or with Shift) would fire while typing in a form.
    let has_strong_modifier = wanted[0] || wanted[1] || wanted[3];
    if !(function_key || plain_key && has_strong_modifier) {
        return Err(invalid());
    }
    let mut out: Vec<&str> = ORDER
        .iter()
        .zip(wanted)
        .filter_map(|(m, on)| on.then_some(*m))
        .collect();
    out.push(&key);
    Ok(out.join("+"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_need_a_strong_modifier_or_a_function_key() {
        assert_eq!(
            parse_shortcut("shift+ctrl+s").ok().as_deref(),
            Some("Ctrl+Shift+S")
        );
        assert_eq!(parse_shortcut("F9").ok().as_deref(), Some("F9"));
        assert_eq!(parse_shortcut("Alt+1").ok().as_deref(), Some("Alt+1"));
        for bad in [
            "S",
            "Shift+S",
            "Ctrl+Ctrl+S",
            "Ctrl+",
            "Hyper+S",
            "F13",
            "Ctrl+Enter",
            "",
        ] {
            assert!(parse_shortcut(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn stored_preferences_without_fields_are_the_defaults() {
        let read: Preferences = serde_json::from_str("{}").unwrap();
        assert_eq!(read, Preferences::default());
        let read: Preferences = serde_json::from_str(r#"{"language":"vi"}"#).unwrap();
        assert_eq!(read.language, Some(Lang::Vi));
    }
}
