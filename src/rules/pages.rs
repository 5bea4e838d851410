//! `/w/{ws}/rules`: the list with enable switches, and the rule builder whose fields follow
//! the chosen event and whose command and duration follow the chosen device.

use std::collections::BTreeMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::devices::model::DeviceRow;
use crate::error::AppError;
use crate::protocol::EVENT_TYPES;
use crate::rules::model::{RuleInput, Scale, ScaleUnit, ThenInput, Unit, When};
use crate::rules::options::{Arm, PriceScaling};
use crate::rules::routes::{create, dry_run};
use crate::web::control_room::TestForm;
use crate::web::control_room::{Board, with_board};
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageError, PageResult, html, render, see_other};
use crate::web::session::{PageForm, Session};
use crate::workspaces::permissions::Action;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/rules", web::get().to(list))
        .route("/w/{ws}/rules", web::post().to(add))
        .route("/w/{ws}/rules/new", web::get().to(new_form))
        .route("/w/{ws}/rules/try", web::post().to(try_draft));
}

#[derive(Template)]
#[template(path = "rules/list.html")]
struct RulesPage {
    layout: Layout,
    ws_id: String,
    board: Board,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, ws_id, mut board) =
        with_board(&state, &session, &path, "rules", "page-rules").await?;
    board.rule_json = true;
    render(&RulesPage {
        ws_id,
        layout,
        board,
    })
}

/// The builder's fields: the `when` keys by their own names (`dashboard.md` § Forms).
#[derive(Deserialize, Default)]
pub struct RuleForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub livestream_id: String,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub contains: String,
    #[serde(default)]
    pub equals: String,
    #[serde(default)]
    pub starts_with: String,
    #[serde(default)]
    pub any_of: String,
    #[serde(default)]
    pub regex: String,
    #[serde(default)]
    pub gift_name: String,
    #[serde(default)]
    pub gift_id: String,
    #[serde(default)]
    pub min_diamonds: String,
    #[serde(default)]
    pub min_count: String,
    #[serde(default)]
    pub every: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub viewers_at_least: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub device_id: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub duration_ms: String,
    /// Scale the duration with the event: ms per unit (empty: no scaling), the unit, the cap.
    #[serde(default)]
    pub scale_per_unit_ms: String,
    #[serde(default)]
    pub scale_unit: String,
    #[serde(default)]
    pub scale_max_ms: String,
    #[serde(default)]
    pub cooldown_ms: String,
    #[serde(default)]
    pub per_user_cooldown_ms: String,
    #[serde(default)]
    pub priority: String,
    /// `on` when the rule fires only while its livestream is live.
    #[serde(default)]
    pub arm_with_live: String,
    #[serde(default)]
    pub arm_hours: String,
    #[serde(default)]
    pub arm_tz: String,
    /// `yes` (the default, also when absent) or `no`.
    #[serde(default)]
    pub pause_on_feed_trouble: String,
    #[serde(default)]
    pub price_step_pct: String,
    #[serde(default)]
    pub price_decay_s: String,
}

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl RuleForm {
    /// The API's rule, or every field that is not even a number, at once.
    pub fn parse(&self) -> Result<RuleInput, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut num = |field: &str, raw: &str| -> Option<i64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.insert(field.to_owned(), "must be a whole number".to_owned());
                    None
                }
            }
        };
        let gift_id = num("gift_id", &self.gift_id);
        let min_diamonds = num("min_diamonds", &self.min_diamonds);
        let min_count = num("min_count", &self.min_count);
        let every = num("every", &self.every);
        let viewers_at_least = num("viewers_at_least", &self.viewers_at_least);
        let duration_ms = num("duration_ms", &self.duration_ms);
        let scale_per_unit_ms = num("scale_per_unit_ms", &self.scale_per_unit_ms);
        let scale_max_ms = num("scale_max_ms", &self.scale_max_ms);
        let cooldown_ms = num("cooldown_ms", &self.cooldown_ms);
        let per_user_cooldown_ms = num("per_user_cooldown_ms", &self.per_user_cooldown_ms);
        let priority = num("priority", &self.priority);
        let price_step_pct = num("price_step_pct", &self.price_step_pct);
        let price_decay_s = num("price_decay_s", &self.price_decay_s);
        let price_scaling = match (price_step_pct, price_decay_s) {
            (None, None) => None,
            (Some(step_pct), Some(decay_s)) => Some(PriceScaling { step_pct, decay_s }),
            (Some(_), None) => {
                errors.insert(
                    "price_decay_s".to_owned(),
                    "a rising price needs the seconds it takes to fall back".to_owned(),
                );
                None
            }
            (None, Some(_)) => {
                errors.insert(
                    "price_step_pct".to_owned(),
                    "say by how much the price rises after each firing".to_owned(),
                );
                None
            }
        };
        let arm_hours = text(&self.arm_hours);
        let arm = (self.arm_with_live == "on" || arm_hours.is_some()).then(|| Arm {
            with_live: self.arm_with_live == "on",
            hours: arm_hours,
            tz: text(&self.arm_tz),
        });
        let unit = match self.unit.trim() {
            "" => None,
            "events" => Some(Unit::Events),
            "likes" => Some(Unit::Likes),
            "diamonds" => Some(Unit::Diamonds),
            _ => {
                errors.insert("unit".to_owned(), "events, likes or diamonds".to_owned());
                None
            }
        };
        let scale_unit = match self.scale_unit.trim() {
            "" | "repeat_count" => ScaleUnit::RepeatCount,
            "diamonds" => ScaleUnit::Diamonds,
            "likes" => ScaleUnit::Likes,
            _ => {
                errors.insert(
                    "scale_unit".to_owned(),
                    "repeat_count, diamonds or likes".to_owned(),
                );
                ScaleUnit::RepeatCount
            }
        };
        let scale = match (scale_per_unit_ms, scale_max_ms) {
            (None, _) => None,
            (Some(per_unit_ms), Some(max_ms)) => Some(Scale {
                per_unit_ms,
                unit: scale_unit,
                max_ms,
            }),
            (Some(_), None) => {
                errors.insert(
                    "scale_max_ms".to_owned(),
                    "a scaled command needs its longest duration".to_owned(),
                );
                None
            }
        };
        let priority = match priority.map(i32::try_from) {
            Some(Err(_)) => {
                errors.insert("priority".to_owned(), "too large".to_owned());
                None
            }
            Some(Ok(p)) => Some(p),
            None => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // Only the fields of the chosen event count: the others may hold what was typed
        // before the event was changed.
        let event = self.event.trim().to_owned();
        let comment = event == "comment";
        let gift = event == "gift";
        Ok(RuleInput {
            id: None,
            livestream_id: text(&self.livestream_id),
            name: self.name.clone(),
            enabled: None,
            priority,
            when: When {
                contains: text(&self.contains).filter(|_| comment),
                equals: text(&self.equals).filter(|_| comment),
                starts_with: text(&self.starts_with).filter(|_| comment),
                any_of: text(&self.any_of).filter(|_| comment).map(|words| {
                    words
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect()
                }),
                regex: text(&self.regex).filter(|_| comment),
                gift_name: text(&self.gift_name).filter(|_| gift),
                gift_id: gift_id.filter(|_| gift),
                min_diamonds: min_diamonds.filter(|_| gift),
                min_count: min_count.filter(|_| gift || event == "like"),
                every,
                unit: unit.filter(|_| every.is_some()),
                viewers_at_least: viewers_at_least.filter(|_| event == "viewer_count"),
                user: text(&self.user).map(|u| u.trim_start_matches('@').to_owned()),
                event,
            },
            then: ThenInput {
                device_id: text(&self.device_id),
                command: self.command.trim().to_owned(),
                duration_ms,
                duration: None,
                params: None,
                scale,
            },
            cooldown_ms,
            per_user_cooldown_ms,
            arm,
            pause_on_feed_trouble: Some(self.pause_on_feed_trouble != "no"),
            price_scaling: price_scaling.filter(|_| gift),
            game: None,
            created_at: None,
            updated_at: None,
        })
    }
}

/// A device as the builder's pickers need it.
pub struct DeviceChoice {
    pub id: String,
    pub name: String,
    pub commands: Vec<String>,
    pub max_duration_ms: i64,
}

#[derive(Template)]
#[template(path = "rules/new.html")]
struct BuilderPage {
    layout: Layout,
    ws_id: String,
    form: RuleForm,
    errors: BTreeMap<String, String>,
    error: String,
    devices: Vec<DeviceChoice>,
    livestreams: Vec<(String, String)>,
    events: &'static [&'static str],
    try_form: TestForm,
    tried: Tried,
    /// The error is the plan's limit: the page links to the usage page.
    plan_limit: bool,
}

/// What "try it" found for the unsaved rule and the saved ones.
#[derive(Default)]
pub struct Tried {
    pub error: String,
    /// Fields of the draft that are wrong, with why.
    pub fields: Vec<(String, String)>,
    pub lines: Vec<TriedLine>,
    /// The draft as the API would take it.
    pub json: String,
}

pub struct TriedLine {
    pub rule_id: String,
    pub name: String,
    pub matched: bool,
    pub reason: String,
}

async fn builder(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: RuleForm,
    errors: BTreeMap<String, String>,
    error: String,
) -> Result<BuilderPage, PageError> {
    builder_with(
        state,
        session,
        ws,
        form,
        errors,
        error,
        TestForm::default(),
        Tried::default(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn builder_with(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: RuleForm,
    errors: BTreeMap<String, String>,
    error: String,
    try_form: TestForm,
    tried: Tried,
) -> Result<BuilderPage, PageError> {
    let (layout, access) = Layout::for_workspace(
        state,
        session,
        ws,
        Action::ManageRules,
        "rules",
        "page-new-rule",
    )
    .await?;
    let ws_id = access.workspace.id.clone();
    let rows = state
        .db
        .run(move |conn| DeviceRow::list(conn, &ws_id))
        .await?;
    let devices = rows
        .iter()
        .map(|r| {
            let d = r.device();
            DeviceChoice {
                id: d.id,
                name: d.name,
                commands: d.allowed_commands,
                max_duration_ms: d.max_duration_ms,
            }
        })
        .collect();
    let livestreams = crate::live::routes::views(state, &access.workspace.id)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    Ok(BuilderPage {
        ws_id: access.workspace.id,
        layout,
        form,
        errors,
        error,
        devices,
        livestreams,
        events: &EVENT_TYPES,
        try_form,
        tried,
        plan_limit: false,
    })
}

pub async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let form = RuleForm {
        event: "comment".to_owned(),
        duration_ms: "1000".to_owned(),
        cooldown_ms: "0".to_owned(),
        per_user_cooldown_ms: "0".to_owned(),
        priority: "0".to_owned(),
        ..RuleForm::default()
    };
    let page = builder(
        &state,
        &session,
        &path,
        form,
        BTreeMap::new(),
        String::new(),
    )
    .await?;
    render(&page)
}

pub async fn add(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<RuleForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let mut plan_limit = false;
    let (status, errors, error) = match form.parse() {
        Err(errors) => (
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            String::new(),
        ),
        Ok(input) => match create(&state, &session.caller(), &path, input).await {
            Ok(_) => return Ok(see_other(&format!("/w/{path}/rules"))),
            Err(err) => {
                let failure = FormFailure::of(err)?;
                plan_limit = failure.plan_limit;
                let status = failure.status();
                let fields = failure
                    .fields
                    .into_iter()
                    .map(|(k, v)| (form_field(&k), v))
                    .collect();
                (status, fields, failure.message)
            }
        },
    };
    let mut page = builder(&state, &session, &path, form, errors, error).await?;
    page.plan_limit = plan_limit;
    html(status, &page)
}

/// The builder's field for an API field path (`when.contains` → `contains`).
fn form_field(api_field: &str) -> String {
    let field = api_field
        .strip_prefix("when.")
        .or_else(|| api_field.strip_prefix("then."))
        .unwrap_or(api_field);
    match field {
        "duration" => "duration_ms".to_owned(),
        "price_scaling" | "price_scaling.step_pct" => "price_step_pct".to_owned(),
        "price_scaling.decay_s" => "price_decay_s".to_owned(),
        other => other.replace('.', "_"),
    }
}

/// The builder's fields plus an example event (`try_…`), for "try it".
#[derive(Deserialize)]
pub struct TryForm {
    #[serde(flatten)]
    rule: RuleForm,
    #[serde(default)]
    try_text: String,
    #[serde(default)]
    try_gift_name: String,
    #[serde(default)]
    try_repeat_count: String,
    #[serde(default)]
    try_count: String,
    #[serde(default)]
    try_viewers: String,
}

#[derive(Template)]
#[template(path = "rules/try_result.html")]
struct TriedPart {
    tried: Tried,
}

/// `POST /w/{ws}/rules/try`: the unsaved rule and every saved one against an example event.
pub async fn try_draft(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<TryForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let example = TestForm {
        event_type: form.rule.event.clone(),
        text: form.try_text.clone(),
        gift_name: form.try_gift_name.clone(),
        repeat_count: form.try_repeat_count.clone(),
        count: form.try_count.clone(),
        viewers: form.try_viewers.clone(),
        ..TestForm::default()
    };
    let tried = try_it(&state, &session, &path, &form.rule, &example).await?;
    if crate::web::page::is_htmx(&req) {
        return render(&TriedPart { tried });
    }
    let page = builder_with(
        &state,
        &session,
        &path,
        form.rule,
        BTreeMap::new(),
        String::new(),
        example,
        tried,
    )
    .await?;
    render(&page)
}

async fn try_it(
    state: &AppState,
    session: &Session,
    ws: &str,
    rule: &RuleForm,
    example: &TestForm,
) -> Result<Tried, PageError> {
    let input = match rule.parse() {
        Ok(input) => input,
        Err(fields) => {
            return Ok(Tried {
                fields: fields.into_iter().collect(),
                ..Tried::default()
            });
        }
    };
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "name": input.name,
        "livestream_id": input.livestream_id,
        "priority": input.priority.unwrap_or(0),
        "when": input.when,
        "then": {
            "device_id": input.then.device_id,
            "command": input.then.command,
            "duration_ms": input.then.duration_ms.unwrap_or(0),
        },
        "cooldown_ms": input.cooldown_ms.unwrap_or(0),
        "per_user_cooldown_ms": input.per_user_cooldown_ms.unwrap_or(0),
    }))
    .unwrap_or_default();
    let event = match example.event() {
        Ok(event) => event,
        Err(err) => {
            return Ok(Tried {
                error: err.to_string(),
                json,
                ..Tried::default()
            });
        }
    };
    let livestream = Some(input.livestream_id.clone()).flatten();
    let caller = session.caller();
    match dry_run(state, &caller, ws, livestream, event, Some(input)).await {
        Ok(results) => {
            let ws_id = ws.to_owned();
            let rows = state
                .db
                .run(move |conn| crate::rules::model::RuleRow::list(conn, &ws_id))
                .await?;
            let names: std::collections::HashMap<String, String> =
                rows.into_iter().map(|r| (r.id, r.name)).collect();
            Ok(Tried {
                lines: results
                    .into_iter()
                    .map(|r| TriedLine {
                        name: if r.rule_id == "draft" {
                            "this draft".to_owned()
                        } else {
                            names
                                .get(&r.rule_id)
                                .cloned()
                                .unwrap_or_else(|| r.rule_id.clone())
                        },
                        rule_id: r.rule_id,
                        matched: r.matched,
                        reason: r.why.words(crate::i18n::current()),
                    })
                    .collect(),
                json,
                ..Tried::default()
            })
        }
        Err(AppError::Validation { fields, .. }) => Ok(Tried {
            fields: fields
                .into_iter()
                .map(|(k, v)| (form_field(&k), crate::i18n::known(&v).into_owned()))
                .collect(),
            json,
            ..Tried::default()
        }),
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(other) => Ok(Tried {
            error: other.to_string(),
            json,
            ..Tried::default()
        }),
    }
}

/// The catalogue id of an event type's name (the type itself when the catalogue has none).
pub fn event_label(event: impl AsRef<str>) -> String {
    format!("event-{}", event.as_ref().replace('_', "-"))
}
