//! What the history pages (commands, audit) share: a GET form whose URL is the filter, a
//! period (`within`), `<select>` choices, and the `before` cursor of the next page.

use crate::error::{AppError, AppResult};
use crate::web::page::encode;

/// The periods a history page offers, as `within` values and their labels.
pub const PERIODS: [(&str, &str); 3] = [
    ("1h", "period-hour"),
    ("24h", "period-day"),
    ("7d", "period-week"),
];

/// A form field's value, trimmed; `None` when empty ("any").
pub fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The start of a `within` period (ms), `None` for all time; anything else is a 422.
pub fn since(within: &str, now: i64) -> AppResult<Option<i64>> {
    let hours = match within.trim() {
        "" => return Ok(None),
        "1h" => 1,
        "24h" => 24,
        "7d" => 7 * 24,
        other => {
            return Err(AppError::invalid(
                "within",
                format!("{other:?}: one of 1h, 24h, 7d"),
            ));
        }
    };
    Ok(Some(now - hours * 3_600_000))
}

/// `a=1&b=2` of the fields that have a value.
pub fn query_string(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

/// The query of the next (older) page, when this one was full.
pub fn next_page(filter_query: &str, last_id: Option<&str>, full: bool) -> Option<String> {
    let last = last_id.filter(|_| full)?;
    let sep = if filter_query.is_empty() { "" } else { "&" };
    Some(format!("?{filter_query}{sep}before={}", encode(last)))
}

/// One option of a filter's `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The options of a `<select>`: "any" first, then `all` (value, label).
pub fn choices(
    all: impl IntoIterator<Item = (String, String)>,
    selected: &str,
    any: &str,
) -> Vec<Choice> {
    std::iter::once(Choice {
        value: String::new(),
        label: any.to_owned(),
        selected: selected.trim().is_empty(),
    })
    .chain(all.into_iter().map(|(value, label)| Choice {
        selected: selected.trim() == value,
        value,
        label,
    }))
    .collect()
}

/// (id, name) pairs sorted by name, for a `<select>`.
pub fn by_name(names: &std::collections::HashMap<String, String>) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = names
        .iter()
        .map(|(id, name)| (id.clone(), name.clone()))
        .collect();
    all.sort_by_key(|(_, name)| name.to_lowercase());
    all
}

/// [`choices`] of the periods.
pub fn period_choices(selected: &str) -> Vec<Choice> {
    choices(
        PERIODS
            .iter()
            .map(|(v, l)| ((*v).to_owned(), crate::i18n::t(l).into_owned())),
        selected,
        &crate::i18n::t("period-all"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_pages() {
        assert_eq!(since("", 0).unwrap(), None);
        assert_eq!(
            since("24h", 100_000_000).unwrap(),
            Some(100_000_000 - 86_400_000)
        );
        assert!(since("forever", 0).is_err());
        assert_eq!(
            query_string(&[("a", " x "), ("b", ""), ("c", "y z")]),
            "a=x&c=y%20z"
        );
        assert_eq!(
            next_page("", Some("cmd_1"), true).as_deref(),
            Some("?before=cmd_1")
        );
        assert_eq!(
            next_page("a=x", Some("cmd_1"), true).as_deref(),
            Some("?a=x&before=cmd_1")
        );
        assert_eq!(next_page("a=x", Some("cmd_1"), false), None);
    }
}
