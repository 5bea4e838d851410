//! `/w/{ws}/audit`: the audit log for people (who, what, when, details; filters by kind,
//! actor and time, a "safety" filter for the kill switch) and `/w/{ws}/audit.csv`, the same
//! filtered log as CSV.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::{self, AuditFilter, AuditRow};
use crate::context::AppState;
use crate::db::DbConnection;
use crate::db::schema::api_keys;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::ids::now_ms;
use crate::web::filters::{
    Choice, by_name, choices, next_page, non_empty, period_choices, query_string, since,
};
use crate::web::layout::Layout;
use crate::web::page::{PageResult, clock, iso, render};
use crate::web::session::Session;
use crate::workspaces::access::authorize;
use crate::workspaces::model::list_members;
use crate::workspaces::permissions::Action;

const PAGE: i64 = 50;
/// The most rows one CSV export carries (the newest; narrow the filter for older ones).
pub const CSV_LIMIT: i64 = 100_000;

/// The categories the kind filter offers, with their labels.
const CATEGORIES: [(&str, &str); 9] = [
    ("kill_switch", "kind-safety"),
    ("command", "kind-commands"),
    ("device", "kind-devices"),
    ("rule", "kind-rules"),
    ("livestream", "kind-livestreams"),
    ("member", "kind-members"),
    ("api_key", "kind-api-keys"),
    ("workspace", "kind-workspace"),
    ("event", "kind-test-events"),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/audit", web::get().to(list))
        .route("/w/{ws}/audit.csv", web::get().to(csv_export));
}

#[derive(Debug, Default, Deserialize)]
pub struct Query {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    within: String,
    #[serde(default)]
    before: String,
}

impl Query {
    fn filter(&self, now: i64) -> AppResult<AuditFilter> {
        let since = since(&self.within, now)?;
        Ok(AuditFilter {
            kind: non_empty(&self.kind),
            actor: non_empty(&self.actor),
            since,
            before: non_empty(&self.before),
        })
    }

    fn without_cursor(&self) -> String {
        query_string(&[
            ("kind", &self.kind),
            ("actor", &self.actor),
            ("within", &self.within),
        ])
    }
}

/// Who did things in this workspace, by id: members by name, API keys by name.
#[derive(Default)]
struct Names {
    users: HashMap<String, String>,
    keys: HashMap<String, String>,
}

impl Names {
    fn load(conn: &mut DbConnection, ws: &str) -> AppResult<Self> {
        let keys: Vec<(String, String)> = api_keys::table
            .filter(api_keys::workspace_id.eq(ws))
            .select((api_keys::id, api_keys::name))
            .load(conn)?;
        Ok(Names {
            users: list_members(conn, ws)?
                .into_iter()
                .map(|m| (m.user_id, m.name))
                .collect(),
            keys: keys.into_iter().collect(),
        })
    }

    /// The actor in words: a member's name, "API key …", "livectl" for the system.
    fn who(&self, row: &AuditRow) -> String {
        let id = row.actor_id.clone().unwrap_or_default();
        match row.actor_type.as_str() {
            "system" => i18n::t("who-system").into_owned(),
            "api_key" => match self.keys.get(&id) {
                Some(name) => i18n::t1("who-api-key-named", "name", name).into_owned(),
                None => i18n::t1("who-api-key", "id", &id).into_owned(),
            },
            _ => self
                .users
                .get(&id)
                .cloned()
                .unwrap_or_else(|| i18n::t1("who-former-member", "id", &id).into_owned()),
        }
    }
}

pub struct Line {
    pub id: String,
    pub at: String,
    pub at_iso: String,
    pub who: String,
    pub actor_type: String,
    pub kind: String,
    pub safety: bool,
    pub target: String,
    pub details: String,
}

fn details_text(details: &serde_json::Value) -> String {
    match details {
        serde_json::Value::Object(map) if map.is_empty() => String::new(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The details as the page shows them: the server's own fixed texts in the page's language
/// (the CSV keeps the record as it is).
fn localised(details: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match details {
        Value::String(text) => Value::String(i18n::known(text).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(localised).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), localised(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Line {
    fn new(row: AuditRow, names: &Names) -> Self {
        Line {
            who: names.who(&row),
            at: clock(row.created_at),
            at_iso: iso(row.created_at),
            safety: row.kind.starts_with("kill_switch."),
            details: details_text(&localised(row.details.get())),
            target: row.target.unwrap_or_default(),
            actor_type: row.actor_type,
            kind: row.kind,
            id: row.id,
        }
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    ws_id: String,
    kinds: Vec<Choice>,
    actors: Vec<Choice>,
    periods: Vec<Choice>,
    lines: Vec<Line>,
    next: Option<String>,
    csv: String,
    filtered: bool,
}

/// `GET /w/{ws}/audit`: every member may read the log.
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<Query>,
) -> PageResult {
    let (layout, access) =
        Layout::for_workspace(&state, &session, &path, Action::View, "audit", "page-audit").await?;
    let ws_id = access.workspace.id;
    let filter = query.filter(now_ms())?;
    let ws = ws_id.clone();
    let (rows, names) = state
        .db
        .run(move |conn| {
            Ok((
                audit::page(conn, &ws, &filter, PAGE)?,
                Names::load(conn, &ws)?,
            ))
        })
        .await?;
    let full_page = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
    let rest = query.without_cursor();
    let next = next_page(&rest, rows.last().map(|r| r.id.as_str()), full_page);
    let mut actors = by_name(&names.users);
    actors.push(("api_key".into(), i18n::t("who-any-api-key").into_owned()));
    actors.push(("system".into(), i18n::t("who-system").into_owned()));
    let kinds = CATEGORIES
        .iter()
        .map(|(v, l)| ((*v).to_owned(), i18n::t(l).into_owned()));
    let csv = if rest.is_empty() {
        format!("/w/{ws_id}/audit.csv")
    } else {
        format!("/w/{ws_id}/audit.csv?{rest}")
    };
    render(&AuditPage {
        kinds: choices(kinds, &query.kind, &i18n::t("f-everything")),
        actors: choices(actors, &query.actor, &i18n::t("f-anyone")),
        periods: period_choices(&query.within),
        lines: rows.into_iter().map(|r| Line::new(r, &names)).collect(),
        next,
        csv,
        filtered: !rest.is_empty(),
        ws_id,
        layout,
    })
}

/// A CSV cell that a spreadsheet shows as text: one starting like a formula gets a `'` first
/// (audit details carry TikTok and user text).
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// `GET /w/{ws}/audit.csv`: the filtered log (newest first, at most [`CSV_LIMIT`] rows).
pub async fn csv_export(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<Query>,
) -> PageResult {
    let access = authorize(&state, &session.caller(), &path, Action::View).await?;
    let filter = query.filter(now_ms())?;
    let ws = access.workspace.id.clone();
    let (rows, names) = state
        .db
        .run(move |conn| {
            Ok((
                audit::page(conn, &ws, &filter, CSV_LIMIT)?,
                Names::load(conn, &ws)?,
            ))
        })
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut write = |record: &[String]| out.write_record(record).map_err(AppError::internal);
    write(
        &[
            "id",
            "time",
            "actor_type",
            "actor_id",
            "actor",
            "kind",
            "target",
            "details",
        ]
        .map(str::to_owned),
    )?;
    for row in &rows {
        write(&[
            row.id.clone(),
            iso(row.created_at),
            row.actor_type.clone(),
            row.actor_id.clone().unwrap_or_default(),
            cell(&names.who(row)),
            row.kind.clone(),
            cell(row.target.as_deref().unwrap_or_default()),
            cell(&details_text(row.details.get())),
        ])?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"audit-{}.csv\"", access.workspace.id),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_look_like_formulas_stay_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("plain"), "plain");
    }

    #[test]
    fn the_filter_is_parsed_once() {
        let q = Query {
            kind: "kill_switch".into(),
            within: "1h".into(),
            ..Query::default()
        };
        let f = q.filter(10_000_000).unwrap();
        assert_eq!(f.kind.as_deref(), Some("kill_switch"));
        assert_eq!(f.since, Some(10_000_000 - 3_600_000));
        assert!(
            Query {
                within: "forever".into(),
                ..Query::default()
            }
            .filter(0)
            .is_err()
        );
    }
}
