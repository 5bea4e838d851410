//! Numbers and times written the way each language writes them.

use super::Lang;

/// `12,345` in English, `12.345` in Vietnamese.
pub fn number(lang: Lang, n: i64) -> String {
    let separator = match lang {
        Lang::En => ',',
        Lang::Vi => '.',
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// A Unix-millisecond time in UTC: `2026-12-05 14:03:22 UTC` in English,
/// `14:03:22 05/12/2026 UTC` in Vietnamese (the page's script shows it in local time).
pub fn date_time(lang: Lang, ms: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    let pattern = match lang {
        Lang::En => "%Y-%m-%d %H:%M:%S UTC",
        Lang::Vi => "%H:%M:%S %d/%m/%Y UTC",
    };
    t.format(pattern).to_string()
}
