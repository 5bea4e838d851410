use std::collections::BTreeSet;

use fluent_bundle::FluentResource;
use fluent_syntax::ast::Entry;

use super::*;

fn ids(source: &str) -> BTreeSet<String> {
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        Err((_, errors)) => panic!("catalogue does not parse: {errors:?}"),
    };
    resource
        .entries()
        .filter_map(|entry| match entry {
            Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_catalogue_has_every_message_and_parses() {
    let english = ids(SOURCES[0].1);
    assert!(english.len() > 10, "the English catalogue is the reference");
    for (lang, source) in SOURCES {
        let these = ids(source);
        let missing: Vec<_> = english.difference(&these).collect();
        let extra: Vec<_> = these.difference(&english).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}, not in English {extra:?}"
        );
    }
}

#[test]
fn accept_language_picks_the_best_known_language() {
    assert_eq!(from_accept_language("vi-VN,vi;q=0.9,en;q=0.8"), Lang::Vi);
    assert_eq!(from_accept_language("en-US,en;q=0.9,vi;q=0.8"), Lang::En);
    assert_eq!(from_accept_language("fr-FR,vi;q=0.5"), Lang::Vi);
    assert_eq!(from_accept_language("fr, de"), Lang::En);
    assert_eq!(from_accept_language("vi;q=0"), Lang::En);
    assert_eq!(from_accept_language(""), Lang::En);
}

#[test]
fn messages_take_variables_and_fall_back_to_english() {
    assert_eq!(
        Lang::En.t_with("n-members", &[("count", 1.into())]),
        "1 member"
    );
    assert_eq!(
        Lang::En.t_with("n-members", &[("count", 3.into())]),
        "3 members"
    );
    assert_eq!(
        Lang::Vi.t_with("n-members", &[("count", 3.into())]),
        "3 thành viên"
    );
    assert_eq!(Lang::Vi.t("no-such-message"), "no-such-message");
}

#[test]
fn numbers_and_times_follow_the_language() {
    assert_eq!(number(Lang::En, 1_234_567), "1,234,567");
    assert_eq!(number(Lang::Vi, 1_234_567), "1.234.567");
    assert_eq!(number(Lang::Vi, -999), "-999");
    let ms = 1_796_446_800_000; // 2026-12-05 05:00:00 UTC
    assert_eq!(date_time(Lang::En, ms), "2026-12-05 05:00:00 UTC");
    assert_eq!(date_time(Lang::Vi, ms), "05:00:00 05/12/2026 UTC");
}

/// Every id the templates and the code name literally (`t("…")`, `t1("…"`, `layout.t("…")`,
/// `"page-…"` titles) is in the English catalogue: a typo would show the id on a page.
#[test]
fn every_id_used_is_in_the_catalogue() {
    let english = ids(SOURCES[0].1);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let call = regex::Regex::new(r#"\bt[12]?\("([a-z][a-z0-9-]*)""#).unwrap();
    let title = regex::Regex::new(r#""(page-[a-z-]+)""#).unwrap();
    let mut missing = Vec::new();
    let mut stack = vec![root.join("templates"), root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let is_rust = path.extension().is_some_and(|e| e == "rs");
            let titles = title.captures_iter(&text).filter(|_| is_rust);
            for found in call.captures_iter(&text).chain(titles) {
                let id = &found[1];
                if !english.contains(id) && !id.starts_with("no-such") {
                    missing.push(format!("{}: {id}", path.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "ids without a message: {missing:#?}");
}

/// Messages with markup are rendered unescaped (`|safe`): they must not take variables.
#[test]
fn messages_with_markup_take_no_variables() {
    let tag = regex::Regex::new("<[a-z/]").unwrap();
    for (lang, source) in SOURCES {
        for line in source.lines().filter(|l| tag.is_match(l)) {
            assert!(
                !line.contains("{ $"),
                "{lang}: markup with a variable: {line}"
            );
        }
    }
}

#[test]
fn known_texts_are_found_by_their_slug() {
    assert_eq!(slug("  Not in the allow-list! "), "not-in-the-allow-list");
    assert_eq!(
        known("something we never wrote"),
        "something we never wrote"
    );
}

#[test]
fn the_servers_own_texts_are_translated_on_vietnamese_pages() {
    let vi = |text: &str| CURRENT.sync_scope(std::cell::Cell::new(Lang::Vi), || known(text));
    assert_eq!(vi("must be an email address"), "phải là một địa chỉ email");
    assert_eq!(vi("the device is offline"), "thiết bị đang ngoại tuyến");
    assert_eq!(
        vi("a reason nobody wrote down"),
        "a reason nobody wrote down"
    );
    assert_eq!(
        known("must be an email address"),
        "must be an email address"
    );
}
