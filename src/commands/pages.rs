//! `/w/{ws}/commands`: the command history for people. Each row says what became of a command
//! in words, which device and rule, and how long it took; filters by device, status, rule and
//! time; pages with a `before` cursor. The first page re-reads itself when the feed reports a
//! command outcome, so new rows arrive without a reload.

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::commands::history::{self, CommandRecord, HistoryFilter, LatencySummary};
use crate::context::AppState;
use crate::devices::model::DeviceRow;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::ids::now_ms;
use crate::protocol::CommandStatus;
use crate::rules::model::RuleRow;
use crate::web::filters::{
    Choice, by_name, choices, next_page, non_empty, period_choices, query_string, since,
};
use crate::web::layout::Layout;
use crate::web::page::{PageResult, clock, iso, render};
use crate::web::session::Session;
use crate::workspaces::permissions::Action;

const PAGE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/commands", web::get().to(list))
        .route("/w/{ws}/commands/rows", web::get().to(rows_part))
        .route("/w/{ws}/events/{id}/why", web::get().to(super::why::page));
}

/// The filter form (a GET form: the URL is the filter, so it can be shared and bookmarked).
#[derive(Debug, Default, Deserialize)]
pub struct Query {
    #[serde(default)]
    device: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    rule: String,
    /// `1h`, `24h`, `7d` or empty (all).
    #[serde(default)]
    within: String,
    #[serde(default)]
    before: String,
}

impl Query {
    /// The filter it asks for; an unknown status or period is a 422 naming the field.
    fn filter(&self, now: i64) -> AppResult<HistoryFilter> {
        let status = match non_empty(&self.status) {
            None => None,
            Some(s) => Some(CommandStatus::parse(&s).ok_or_else(|| {
                AppError::invalid("status", format!("{s:?} is not a command status"))
            })?),
        };
        let since = since(&self.within, now)?;
        Ok(HistoryFilter {
            device_id: non_empty(&self.device),
            status,
            rule_id: non_empty(&self.rule),
            since,
            before: non_empty(&self.before),
        })
    }

    /// The query string of this filter without the cursor (`&`-joined, encoded).
    fn without_cursor(&self) -> String {
        query_string(&[
            ("device", &self.device),
            ("status", &self.status),
            ("rule", &self.rule),
            ("within", &self.within),
        ])
    }
}

/// What became of a command, in words.
pub fn outcome_in_words(status: CommandStatus, detail: Option<&str>) -> String {
    let headline = i18n::t(match status {
        CommandStatus::Sent => "outcome-sent",
        CommandStatus::Done => "outcome-done",
        CommandStatus::Rejected => "outcome-rejected",
        CommandStatus::Failed => "outcome-failed",
        CommandStatus::Expired => "outcome-expired",
        CommandStatus::Busy => "outcome-busy",
        CommandStatus::Undeliverable => "outcome-undeliverable",
        CommandStatus::Blocked => "outcome-blocked",
        CommandStatus::RateLimited => "outcome-rate-limited",
    });
    match detail.map(str::trim).filter(|d| !d.is_empty()) {
        // The blocked headline already says it all.
        Some(_) if status == CommandStatus::Blocked => headline.into_owned(),
        Some(detail) if status == CommandStatus::Rejected => {
            format!(
                "{}: {}",
                i18n::t("outcome-rejected-by"),
                i18n::known(detail)
            )
        }
        Some(detail) => format!("{headline}: {}", i18n::known(detail)),
        None => headline.into_owned(),
    }
}

/// One row of the table.
pub struct Line {
    pub id: String,
    pub at: String,
    pub at_iso: String,
    pub device: String,
    pub cmd: String,
    pub duration_ms: i64,
    pub status: &'static str,
    pub problem: bool,
    pub outcome: String,
    pub rule_id: String,
    pub rule: String,
    pub event_id: String,
    pub event_to_issued: String,
    pub issued_to_ack: String,
}

fn ms(value: Option<i64>) -> String {
    value.map_or_else(
        || "—".to_owned(),
        |v| i18n::t1("n-ms", "ms", v).into_owned(),
    )
}

impl Line {
    fn new(record: CommandRecord, names: &Names) -> Self {
        let problem = !matches!(record.status, CommandStatus::Done | CommandStatus::Sent);
        Line {
            at: clock(record.issued_at),
            at_iso: iso(record.issued_at),
            device: names.device(&record.device_id),
            cmd: record.cmd.clone(),
            duration_ms: record.duration_ms,
            status: record.status.as_str(),
            problem,
            outcome: outcome_in_words(record.status, record.detail.as_deref()),
            rule: record
                .rule_id
                .as_deref()
                .map_or_else(|| i18n::t("cmd-by-hand").into_owned(), |id| names.rule(id)),
            rule_id: record.rule_id.clone().unwrap_or_default(),
            event_id: record.event_id.clone().unwrap_or_default(),
            event_to_issued: ms(record.event_to_issued_ms()),
            issued_to_ack: ms(record.issued_to_ack_ms()),
            id: record.id,
        }
    }
}

/// Device and rule names for the rows (a deleted one shows its id).
#[derive(Default)]
struct Names {
    devices: HashMap<String, String>,
    rules: HashMap<String, String>,
}

impl Names {
    fn device(&self, id: &str) -> String {
        self.devices
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("{id} (deleted)"))
    }

    fn rule(&self, id: &str) -> String {
        self.rules
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("{id} (deleted)"))
    }
}

/// The table and what it needs: the part the first page re-reads.
#[derive(Template)]
#[template(path = "commands/rows.html")]
pub struct Rows {
    ws_id: String,
    lines: Vec<Line>,
    summary: LatencySummary,
    /// `?…` of the next page, when there is one.
    next: Option<String>,
    /// The part's own URL on the first page (it re-reads itself), else empty.
    live_part: String,
    filtered: bool,
}

impl Rows {
    pub fn strip(pair: &Option<(i64, i64)>) -> String {
        pair.map_or_else(
            || i18n::t("cmd-no-samples").into_owned(),
            |(p50, p95)| format!("p50 {p50} ms · p95 {p95} ms"),
        )
    }
}

#[derive(Template)]
#[template(path = "commands/list.html")]
struct CommandsPage {
    layout: Layout,
    ws_id: String,
    devices: Vec<Choice>,
    statuses: Vec<Choice>,
    rules: Vec<Choice>,
    periods: Vec<Choice>,
    rows: Rows,
}

async fn load_rows(state: &AppState, ws: &str, query: &Query) -> AppResult<(Rows, Names)> {
    let filter = query.filter(now_ms())?;
    let first_page = filter.before.is_none();
    let ws_id = ws.to_owned();
    let (records, summary, names) = state
        .db
        .run(move |conn| {
            let records = history::page(conn, &ws_id, &filter, PAGE)?;
            let summary = history::latency_summary(
                conn,
                &ws_id,
                &HistoryFilter {
                    before: None,
                    ..filter
                },
            )?;
            let names = Names {
                devices: DeviceRow::list(conn, &ws_id)?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect(),
                rules: RuleRow::list(conn, &ws_id)?
                    .into_iter()
                    .map(|r| (r.id, r.name))
                    .collect(),
            };
            Ok((records, summary, names))
        })
        .await?;
    let full_page = records.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
    let next = next_page(
        &query.without_cursor(),
        records.last().map(|r| r.id.as_str()),
        full_page,
    );
    let live_part = if first_page {
        let rest = query.without_cursor();
        format!("/w/{ws}/commands/rows?{rest}")
    } else {
        String::new()
    };
    let rows = Rows {
        ws_id: ws.to_owned(),
        lines: records.into_iter().map(|r| Line::new(r, &names)).collect(),
        summary,
        next,
        live_part,
        filtered: !query.without_cursor().is_empty(),
    };
    Ok((rows, names))
}

/// `GET /w/{ws}/commands`: every member may read the history.
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<Query>,
) -> PageResult {
    let (layout, access) = Layout::for_workspace(
        &state,
        &session,
        &path,
        Action::View,
        "commands",
        "page-commands",
    )
    .await?;
    let ws_id = access.workspace.id;
    let (rows, names) = load_rows(&state, &ws_id, &query).await?;
    let statuses = CommandStatus::ALL.iter().map(|s| {
        let label = i18n::t(format!("status-{}", s.as_str().replace('_', "-")));
        (s.as_str().to_owned(), label.into_owned())
    });
    render(&CommandsPage {
        devices: choices(
            by_name(&names.devices),
            &query.device,
            &i18n::t("f-every-device"),
        ),
        statuses: choices(statuses, &query.status, &i18n::t("f-every-status")),
        rules: choices(by_name(&names.rules), &query.rule, &i18n::t("f-every-rule")),
        periods: period_choices(&query.within),
        rows,
        ws_id,
        layout,
    })
}

/// `GET /w/{ws}/commands/rows`: the table alone (the first page re-reads it live).
pub async fn rows_part(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<Query>,
) -> PageResult {
    let access =
        crate::workspaces::access::authorize(&state, &session.caller(), &path, Action::View)
            .await?;
    let (rows, _) = load_rows(&state, &access.workspace.id, &query).await?;
    render(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_words() {
        assert_eq!(
            outcome_in_words(CommandStatus::Blocked, Some("the kill switch is engaged")),
            "blocked: kill switch engaged"
        );
        assert_eq!(
            outcome_in_words(CommandStatus::Rejected, Some("not in the allow-list")),
            "rejected by the device or its agent: not in the allow-list"
        );
        assert_eq!(
            outcome_in_words(CommandStatus::Undeliverable, Some("the device is offline")),
            "not sent: the device is offline"
        );
        assert_eq!(outcome_in_words(CommandStatus::Done, None), "done");
    }

    #[test]
    fn a_filter_is_parsed_once_and_refuses_what_it_does_not_know() {
        let query = Query {
            status: "blocked".into(),
            within: "24h".into(),
            device: " dev_1 ".into(),
            ..Query::default()
        };
        let filter = query.filter(100_000_000).unwrap();
        assert_eq!(filter.status, Some(CommandStatus::Blocked));
        assert_eq!(filter.since, Some(100_000_000 - 86_400_000));
        assert_eq!(filter.device_id.as_deref(), Some("dev_1"));
        assert_eq!(
            query.without_cursor(),
            "device=dev_1&status=blocked&within=24h"
        );
        let bad = Query {
            status: "exploded".into(),
            ..Query::default()
        };
        assert!(bad.filter(0).is_err());
    }
}
