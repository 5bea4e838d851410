//! What every page handler shares: rendering a template, the HTML error pages, redirects.
//!
//! Page handlers return `PageResult`. An `AppError` becomes a page with the reason in words
//! (the same 404 for "missing" and "not a member"; 500 pages show the request id); a visitor
//! who is not signed in is sent to `/login?next=…` (or through a silent renewal first).

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::http::request_id;

pub type PageResult = Result<HttpResponse, PageError>;

#[derive(Debug)]
pub enum PageError {
    /// No valid session: where to go to get one, and back.
    SignIn {
        next: String,
        /// A refresh cookie should exist: try a silent renewal before the login form.
        renew: bool,
        /// The request came from htmx, which must be told to navigate (`HX-Redirect`).
        htmx: bool,
    },
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        PageError::App(err)
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::App(AppError::internal(err))
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { .. } => f.write_str("sign in required"),
            PageError::App(err) => err.fmt(f),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: String,
    request_id: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::App(err) => err.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { next, renew, htmx } => {
                let target = sign_in_url(next, *renew);
                if *htmx {
                    HttpResponse::Ok()
                        .insert_header(("HX-Redirect", target))
                        .finish()
                } else {
                    see_other(&target)
                }
            }
            PageError::App(err) => {
                let status = err.status_code();
                if status.is_server_error() {
                    tracing::error!(request_id = %request_id::current(), error = ?err, "page failed");
                }
                let heading = crate::i18n::t(match status.as_u16() {
                    403 => "err-403",
                    404 => "err-404",
                    409 => "err-409",
                    422 => "err-422",
                    423 => "err-423",
                    429 => "err-429",
                    s if s >= 500 => "err-500",
                    _ => "err-other",
                });
                let heading = heading.as_ref();
                let message = match err {
                    AppError::NotFound(_) => crate::i18n::t("err-404-text").into_owned(),
                    AppError::Internal(_) => crate::i18n::t("err-500-text").into_owned(),
                    other => crate::i18n::known(&other.to_string()).into_owned(),
                };
                let page = ErrorPage {
                    status: status.as_u16(),
                    heading,
                    message,
                    request_id: request_id::current(),
                };
                let body = page.render().unwrap_or_else(|_| heading.to_owned());
                let mut res = HttpResponse::build(status);
                res.insert_header((CONTENT_TYPE, "text/html; charset=utf-8"));
                if let AppError::RateLimited { retry_after_s } = err {
                    res.insert_header(("Retry-After", retry_after_s.to_string()));
                }
                res.body(body)
            }
        }
    }
}

/// A form that was refused: what the page shows beside its fields and above the form, and the
/// status it answers with. An internal error is not a form's failure: it stays an error page.
#[derive(Default)]
pub struct FormFailure {
    pub status: Option<StatusCode>,
    pub fields: std::collections::BTreeMap<String, String>,
    pub message: String,
    /// The plan's limit refused it: the page links to the usage page.
    pub plan_limit: bool,
}

impl FormFailure {
    pub fn of(err: AppError) -> Result<Self, PageError> {
        if matches!(err, AppError::Internal(_)) {
            return Err(err.into());
        }
        // A form naming something that does not exist (an email without an account) is a
        // form to correct, not a missing page.
        let status = Some(match err.status_code() {
            StatusCode::NOT_FOUND => StatusCode::UNPROCESSABLE_ENTITY,
            status => status,
        });
        Ok(match err {
            AppError::PlanLimitReached {
                resource,
                limit,
                plan,
                ..
            } => Self {
                status,
                fields: Default::default(),
                message: plan_limit_words(&plan, limit, &format!("limit-{resource}")),
                plan_limit: true,
            },
            AppError::Validation { fields, .. } => Self {
                status,
                fields: fields
                    .into_iter()
                    .map(|(field, reason)| {
                        let reason = crate::i18n::known(&reason).into_owned();
                        (field, reason)
                    })
                    .collect(),
                message: String::new(),
                plan_limit: false,
            },
            other => Self {
                status,
                fields: Default::default(),
                message: crate::i18n::known(&other.to_string()).into_owned(),
                plan_limit: false,
            },
        })
    }

    /// The status to answer with (200 when nothing failed).
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or(StatusCode::OK)
    }

    pub fn field(&self, name: &str) -> Option<&String> {
        self.fields.get(name)
    }
}

/// A plan's limit refused a form: the limit in words (`what`: the catalogue id of the resource).
pub fn plan_limit_words(plan: &impl std::fmt::Display, limit: i64, what: &str) -> String {
    crate::i18n::current()
        .t_with(
            "plan-limit",
            &[
                ("plan", plan.to_string().into()),
                ("limit", limit.into()),
                ("what", crate::i18n::t(what).into()),
            ],
        )
        .into_owned()
}

/// Where a visitor without a session goes, keeping where they were going.
pub fn sign_in_url(next: &str, renew: bool) -> String {
    let next = encode(safe_next(next));
    if renew {
        format!("/auth/session/refresh?next={next}")
    } else {
        format!("/login?next={next}")
    }
}

/// Only same-site paths are followed after sign-in (no `//evil.example`, no `https://…`).
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if ok { next } else { "/" }
}

pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The last path segment of a two-way action (`…/enable` | `…/disable`): which one, or 404.
pub fn which_way(verb: &str, on: &str, off: &str) -> Result<bool, PageError> {
    match verb {
        v if v == on => Ok(true),
        v if v == off => Ok(false),
        _ => Err(AppError::NotFound("no such page".into()).into()),
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

pub fn html(status: StatusCode, template: &impl Template) -> PageResult {
    Ok(HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(template.render()?))
}

pub fn render(template: &impl Template) -> PageResult {
    html(StatusCode::OK, template)
}

/// After a form post: htmx gets the fragment to swap in, a plain form a redirect (303) to
/// the page that shows the result.
pub fn after_post(req: &HttpRequest, location: &str, fragment: &impl Template) -> PageResult {
    if is_htmx(req) {
        render(fragment)
    } else {
        Ok(see_other(location))
    }
}

/// An htmx request that wants a fragment (a history restore wants the full page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    let has = |name: &str| {
        req.headers()
            .get(name)
            .is_some_and(|v| v.as_bytes() == b"true")
    };
    has("HX-Request") && !has("HX-History-Restore-Request")
}

/// A Unix-millisecond time in UTC, written the way the page's language writes it.
pub fn clock(ms: i64) -> String {
    crate::i18n::date_time(crate::i18n::current(), ms)
}

/// The machine form for `<time datetime>`.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/w/ws_1?x=1"), "/w/ws_1?x=1");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(
            sign_in_url("/w/ws_1?a=b", false),
            "/login?next=/w/ws_1%3Fa%3Db"
        );
    }
}
