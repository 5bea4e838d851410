//! `/w/{ws}/events/{id}/why`: why each rule did or did not fire on an event of the command
//! history, as the rule engine decided then (kept for every event that issued a command).

use actix_web::web;
use askama::Template;

use crate::context::AppState;
use crate::error::AppError;
use crate::i18n;
use crate::rules::model::RuleRow;
use crate::rules::trace::stored;
use crate::web::layout::Layout;
use crate::web::page::{PageResult, render};
use crate::web::session::Session;
use crate::workspaces::permissions::Action;

/// One rule's line, with the rule's name (or its id, for a rule deleted since).
pub struct WhyLine {
    pub rule_id: String,
    pub name: String,
    pub matched: bool,
    pub reason: String,
    pub command_id: String,
}

#[derive(Template)]
#[template(path = "commands/why.html")]
struct WhyPage {
    layout: Layout,
    ws_id: String,
    event_id: String,
    at: String,
    lines: Vec<WhyLine>,
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (ws, event_id) = path.into_inner();
    let (layout, access) =
        Layout::for_workspace(&state, &session, &ws, Action::View, "commands", "page-why").await?;
    let ws_id = access.workspace.id.clone();
    let (lookup_ws, lookup_event) = (ws_id.clone(), event_id.clone());
    let (kept, rules) = state
        .db
        .run(move |conn| {
            let kept = stored::find(conn, &lookup_ws, &lookup_event)?;
            Ok((kept, RuleRow::list(conn, &lookup_ws)?))
        })
        .await?;
    let (results, at) =
        kept.ok_or_else(|| AppError::NotFound(i18n::t("why-not-kept").into_owned()))?;
    let name_of = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| i18n::t1("why-deleted-rule", "id", id).into_owned())
    };
    let lines = results
        .into_iter()
        .map(|l| WhyLine {
            name: name_of(&l.rule_id),
            reason: l
                .why
                .map_or_else(|| l.reason.clone(), |why| why.words(i18n::current())),
            command_id: l.command_id.unwrap_or_default(),
            rule_id: l.rule_id,
            matched: l.matched,
        })
        .collect();
    render(&WhyPage {
        layout,
        ws_id,
        event_id,
        at: i18n::date_time(i18n::current(), at),
        lines,
    })
}
