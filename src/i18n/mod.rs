//! The languages the dashboard speaks (English and Vietnamese): one Fluent catalogue per language
//! in `locales/`, compiled into the binary, and the language of the request being served.
//!
//! The language is chosen per request ([`from_request`]: the `livectl_lang` cookie, else
//! `Accept-Language`, else English) and set for the whole request in a task-local, so templates
//! and error pages read it without having the request at hand. A signed-in user's remembered
//! choice overrides it as soon as their account is loaded ([`set`]).

mod format;

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub use format::{date_time, number};

/// The cookie that remembers a visitor's choice (not a secret).
pub const LANG_COOKIE: &str = "livectl_lang";

crate::text_enum! {
    /// A language of the dashboard.
    #[derive(Default)]
    pub enum Lang {
        #[default]
        En => "en",
        Vi => "vi",
    }
}

impl Lang {
    /// The language's own name, as the switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Vi => "Tiếng Việt",
        }
    }

    /// The message `id` in this language (English when this catalogue lacks it; the id itself,
    /// logged, when no catalogue has it).
    pub fn t(self, id: &str) -> Cow<'static, str> {
        self.format(id, None)
    }

    /// The message `id` with its variables.
    pub fn t_with(self, id: &str, args: &[(&str, Arg)]) -> Cow<'static, str> {
        let mut fluent = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent.set(*name, value.to_fluent());
        }
        Cow::Owned(self.format(id, Some(&fluent)).into_owned())
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> Cow<'static, str> {
        let catalogues = &*CATALOGUES;
        for bundle in [catalogues.of(self), &catalogues.en] {
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    id,
                    lang = self.as_str(),
                    ?errors,
                    "message formatted with errors"
                );
            }
            return Cow::Owned(text.into_owned());
        }
        tracing::warn!(id, lang = self.as_str(), "no catalogue has this message");
        Cow::Owned(id.to_owned())
    }
}

/// A message variable: numbers select plural forms, text is inserted as it is.
pub enum Arg {
    Number(i64),
    Text(String),
}

impl Arg {
    fn to_fluent(&self) -> FluentValue<'static> {
        match self {
            Arg::Number(n) => FluentValue::from(*n),
            Arg::Text(s) => FluentValue::from(s.clone()),
        }
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}
impl From<i32> for Arg {
    fn from(n: i32) -> Self {
        Arg::Number(i64::from(n))
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

/// A value a template passes as a message variable (templates pass references to fields).
pub trait AsArg {
    fn arg(&self) -> Arg;
}

impl<T: AsArg + ?Sized> AsArg for &T {
    fn arg(&self) -> Arg {
        (**self).arg()
    }
}
impl AsArg for str {
    fn arg(&self) -> Arg {
        Arg::Text(self.to_owned())
    }
}
impl AsArg for String {
    fn arg(&self) -> Arg {
        Arg::Text(self.clone())
    }
}
impl AsArg for Cow<'_, str> {
    fn arg(&self) -> Arg {
        Arg::Text(self.to_string())
    }
}
impl AsArg for i64 {
    fn arg(&self) -> Arg {
        Arg::Number(*self)
    }
}
impl AsArg for u64 {
    fn arg(&self) -> Arg {
        Arg::Number(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl AsArg for u32 {
    fn arg(&self) -> Arg {
        Arg::Number(i64::from(*self))
    }
}
impl AsArg for i32 {
    fn arg(&self) -> Arg {
        Arg::Number(i64::from(*self))
    }
}
impl AsArg for usize {
    fn arg(&self) -> Arg {
        Arg::Number(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<Cow<'_, str>> for Arg {
    fn from(s: Cow<'_, str>) -> Self {
        Arg::Text(s.into_owned())
    }
}

/// The catalogues, as shipped (`locales/<lang>.ftl`).
pub const SOURCES: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../../locales/en.ftl")),
    (Lang::Vi, include_str!("../../locales/vi.ftl")),
];

struct Catalogues {
    en: FluentBundle<FluentResource>,
    vi: FluentBundle<FluentResource>,
}

impl Catalogues {
    fn of(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Vi => &self.vi,
        }
    }
}

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| Catalogues {
    en: bundle(Lang::En),
    vi: bundle(Lang::Vi),
});

/// A catalogue with a syntax error keeps the messages it could read (the unit tests refuse
/// such a catalogue, so this is only a guard).
fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let source = SOURCES
        .iter()
        .find(|(l, _)| *l == lang)
        .map_or("", |(_, s)| *s);
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
            tracing::error!(lang = lang.as_str(), ?errors, "catalogue has syntax errors");
            partial
        });
    let id = lang
        .as_str()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around variables: the page is one direction, and the marks
    // would end up inside values that tests and copy-paste see.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.as_str(),
            ?errors,
            "catalogue has duplicate messages"
        );
    }
    bundle
}

tokio::task_local! {
    static CURRENT: Cell<Lang>;
}

/// The language of the request being served (English outside a request).
pub fn current() -> Lang {
    CURRENT.try_with(Cell::get).unwrap_or_default()
}

/// From here on, the request speaks `lang` (a signed-in user's remembered choice).
pub fn set(lang: Lang) {
    let _ = CURRENT.try_with(|c| c.set(lang));
}

/// Runs `fut` speaking `lang`.
pub async fn scope<F: std::future::Future>(lang: Lang, fut: F) -> F::Output {
    CURRENT.scope(Cell::new(lang), fut).await
}

/// Runs `work` (off the async workers) speaking `lang`.
pub fn within<T>(lang: Lang, work: impl FnOnce() -> T) -> T {
    CURRENT.sync_scope(Cell::new(lang), work)
}

/// The message `id` in the current language.
pub fn t(id: impl AsRef<str>) -> Cow<'static, str> {
    current().t(id.as_ref())
}

/// The message `id` with one variable, in the current language.
pub fn t1(id: &str, name: &str, value: impl AsArg) -> Cow<'static, str> {
    current().t_with(id, &[(name, value.arg())])
}

/// The message `id` with two variables, in the current language.
pub fn t2(
    id: &str,
    name: &str,
    value: impl AsArg,
    name2: &str,
    value2: impl AsArg,
) -> Cow<'static, str> {
    current().t_with(id, &[(name, value.arg()), (name2, value2.arg())])
}

/// A fixed English text the server produces outside the dashboard (an API error's reason, a
/// device's refusal), in the current language: the catalogues hold such texts under
/// `text-<slug of the English>`; one without an entry stays as it is.
pub fn known(text: &str) -> Cow<'static, str> {
    let id = format!("text-{}", slug(text));
    let lang = current();
    let catalogues = &*CATALOGUES;
    if catalogues.of(lang).has_message(&id) {
        lang.t(&id)
    } else {
        Cow::Owned(text.to_owned())
    }
}

/// `must be at most 100 characters` → `must-be-at-most-100-characters` (at most 60 bytes).
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(60));
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The language a request asks for: its cookie, else its `Accept-Language`, else English.
pub fn from_request(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(from_accept_language)
        .unwrap_or_default()
}

/// The best of our languages in an `Accept-Language` header (`vi-VN,vi;q=0.9,en;q=0.8`), by
/// quality, the earlier one on a tie; English when it names none of them.
pub fn from_accept_language(header: &str) -> Lang {
    let mut best: Option<(Lang, f32)> = None;
    for item in header.split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let Some(lang) = Lang::parse(&primary) else {
            continue;
        };
        if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang).unwrap_or_default()
}

#[cfg(test)]
mod tests;
