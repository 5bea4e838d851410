//! The rule format (`protocols.md` §2), its validation, and the `rules` / `rule_counters`
//! tables.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{livestreams, rule_counters, rules};
use crate::db::types::Json;
use crate::devices::model::{Device, DeviceRow, normalise_command};
use crate::error::{AppError, AppResult};
use crate::ids::now_ms;
use crate::presets::role::GameRole;
use crate::protocol::{EVENT_TYPES, RETIRED_EVENT_TYPES};
use crate::rules::options::{Arm, PriceScaling, RuleOptions};

/// Longest regex source accepted, and the compiled size limit.
pub const REGEX_MAX_LEN: usize = 512;
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    #[default]
    Events,
    Likes,
    Diamonds,
}

/// When a rule fires: `event` and every other key given (all must hold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_diamonds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewers_at_least: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl When {
    /// `event` with no other condition.
    pub fn of(event: &str) -> When {
        When {
            event: event.to_owned(),
            contains: None,
            equals: None,
            starts_with: None,
            any_of: None,
            regex: None,
            gift_name: None,
            gift_id: None,
            min_diamonds: None,
            min_count: None,
            every: None,
            unit: None,
            viewers_at_least: None,
            user: None,
        }
    }
}

/// What a rule does, as accepted on input (the seed's short form included).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThenInput {
    /// May be left out when the workspace has exactly one device.
    pub device_id: Option<String>,
    pub command: String,
    pub duration_ms: Option<i64>,
    /// The seed's name for `duration_ms`.
    pub duration: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub params: Option<Value>,
    /// One command whose duration grows with the event (10 roses → 10 s) instead of one per
    /// unit; `duration_ms` is then unused.
    pub scale: Option<Scale>,
}

/// What a scaled command's duration counts (`games.md` § Rule options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScaleUnit {
    /// A gift's streak length.
    RepeatCount,
    /// A gift's `total_diamonds`.
    Diamonds,
    /// A like burst's `count`.
    Likes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Milliseconds per unit, 1 to 600000.
    pub per_unit_ms: i64,
    pub unit: ScaleUnit,
    /// The cap, at most the device's maximum.
    pub max_ms: i64,
}

impl Scale {
    /// The duration for an event: units × `per_unit_ms`, capped by `max_ms` (at least one
    /// unit's worth, never more than the cap).
    pub fn duration_ms(&self, event: &crate::protocol::EventKind) -> i64 {
        use crate::protocol::EventKind;
        let units = match (self.unit, event) {
            (ScaleUnit::RepeatCount, EventKind::Gift { repeat_count, .. }) => *repeat_count,
            (ScaleUnit::Diamonds, EventKind::Gift { total_diamonds, .. }) => *total_diamonds,
            (ScaleUnit::Likes, EventKind::Like { count, .. }) => *count,
            _ => 1,
        };
        units
            .max(1)
            .saturating_mul(self.per_unit_ms)
            .min(self.max_ms)
    }

    /// The event a scale can count.
    pub fn event(&self) -> &'static str {
        match self.unit {
            ScaleUnit::RepeatCount | ScaleUnit::Diamonds => "gift",
            ScaleUnit::Likes => "like",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Then {
    pub device_id: String,
    pub command: String,
    pub duration_ms: i64,
    #[schema(value_type = Object)]
    pub params: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
}

impl Then {
    /// The command's duration for this event.
    pub fn duration_for(&self, event: &crate::protocol::EventKind) -> i64 {
        self.scale
            .map_or(self.duration_ms, |scale| scale.duration_ms(event))
    }
}

/// A rule as written by a client (no id).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// Ignored on input (ids are the server's), accepted so a rule read can be sent back.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub livestream_id: Option<String>,
    pub name: String,
    pub enabled: Option<bool>,
    pub priority: Option<i32>,
    pub when: When,
    pub then: ThenInput,
    pub cooldown_ms: Option<i64>,
    pub per_user_cooldown_ms: Option<i64>,
    /// Fires only while its livestream is live (and within the hours).
    #[serde(default)]
    pub arm: Option<Arm>,
    /// No firing while the livestream is reconnecting (default true).
    #[serde(default)]
    pub pause_on_feed_trouble: Option<bool>,
    /// After each firing the price (`min_diamonds`) rises, then falls back.
    #[serde(default)]
    pub price_scaling: Option<PriceScaling>,
    /// Read-only fields of a rule, accepted and ignored so a rule read can be sent back.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub game: Option<serde_json::Value>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    pub livestream_id: Option<String>,
    pub name: String,
    pub enabled: bool,
    pub priority: i32,
    pub when: When,
    pub then: Then,
    pub cooldown_ms: i64,
    pub per_user_cooldown_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm: Option<Arm>,
    pub pause_on_feed_trouble: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_scaling: Option<PriceScaling>,
    /// The game this rule plays a part in (made by a preset; read-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game: Option<GameRole>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rules)]
pub struct RuleRow {
    pub id: String,
    pub workspace_id: String,
    pub livestream_id: Option<String>,
    pub name: String,
    pub enabled: bool,
    pub priority: i32,
    pub when_json: Json<When>,
    pub then_json: Json<Then>,
    pub cooldown_ms: i64,
    pub per_user_cooldown_ms: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub options_json: Json<RuleOptions>,
}

/// A rule that passed every check ([`validate`]), every default applied: what is stored.
#[derive(Debug, Clone)]
pub struct ValidRule {
    pub livestream_id: Option<String>,
    pub name: String,
    /// Given or not: a new rule is enabled unless told otherwise, a replaced rule keeps its
    /// state unless told otherwise.
    pub enabled: Option<bool>,
    pub priority: i32,
    pub when: When,
    pub then: Then,
    pub cooldown_ms: i64,
    pub per_user_cooldown_ms: i64,
    pub options: RuleOptions,
}

/// What a replacement changes in a stored rule (a missing livestream means every livestream).
#[derive(AsChangeset)]
#[diesel(table_name = rules, treat_none_as_null = true)]
pub struct RuleChanges {
    pub livestream_id: Option<String>,
    pub name: String,
    pub enabled: bool,
    pub priority: i32,
    pub when_json: Json<When>,
    pub then_json: Json<Then>,
    pub cooldown_ms: i64,
    pub per_user_cooldown_ms: i64,
    pub updated_at: i64,
    pub options_json: Json<RuleOptions>,
}

impl ValidRule {
    /// A new rule's row.
    pub fn into_row(self, id: String, ws: &str, now: i64) -> AppResult<RuleRow> {
        Ok(RuleRow {
            id,
            workspace_id: ws.to_owned(),
            livestream_id: self.livestream_id,
            name: self.name,
            enabled: self.enabled.unwrap_or(true),
            priority: self.priority,
            when_json: Json::new(self.when)?,
            then_json: Json::new(self.then)?,
            cooldown_ms: self.cooldown_ms,
            per_user_cooldown_ms: self.per_user_cooldown_ms,
            created_at: now,
            updated_at: now,
            options_json: Json::new(self.options)?,
        })
    }

    /// The changes that replace rule `old` with this one (a game's rule stays in its game).
    pub fn into_changes(mut self, old: &RuleRow, now: i64) -> AppResult<RuleChanges> {
        self.options.game = old.options_json.game.clone();
        Ok(RuleChanges {
            options_json: Json::new(self.options)?,
            livestream_id: self.livestream_id,
            name: self.name,
            enabled: self.enabled.unwrap_or(old.enabled),
            priority: self.priority,
            when_json: Json::new(self.when)?,
            then_json: Json::new(self.then)?,
            cooldown_ms: self.cooldown_ms,
            per_user_cooldown_ms: self.per_user_cooldown_ms,
            updated_at: now,
        })
    }
}

impl RuleRow {
    pub fn view(&self) -> AppResult<RuleView> {
        Ok(RuleView {
            id: self.id.clone(),
            livestream_id: self.livestream_id.clone(),
            name: self.name.clone(),
            enabled: self.enabled,
            priority: self.priority,
            when: self.when_json.get().clone(),
            then: self.then_json.get().clone(),
            cooldown_ms: self.cooldown_ms,
            per_user_cooldown_ms: self.per_user_cooldown_ms,
            arm: self.options_json.arm.clone(),
            pause_on_feed_trouble: self.options_json.pauses_on_feed_trouble(),
            price_scaling: self.options_json.price_scaling,
            game: self.options_json.game.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    pub fn find(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<RuleRow> {
        rules::table
            .filter(rules::id.eq(id))
            .filter(rules::workspace_id.eq(ws))
            .select(RuleRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("rule"))
    }

    pub fn list(conn: &mut DbConnection, ws: &str) -> AppResult<Vec<RuleRow>> {
        Ok(rules::table
            .filter(rules::workspace_id.eq(ws))
            .order((rules::priority.desc(), rules::id.asc()))
            .select(RuleRow::as_select())
            .load(conn)?)
    }

    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<RuleRow>> {
        Ok(rules::table
            .order((rules::priority.desc(), rules::id.asc()))
            .select(RuleRow::as_select())
            .load(conn)?)
    }
}

fn applies(field: &str, event: &str, allowed: &[&str]) -> AppResult<()> {
    if allowed.contains(&event) {
        Ok(())
    } else {
        Err(AppError::invalid(
            &format!("when.{field}"),
            crate::i18n::t2(
                "v-applies-to",
                "allowed",
                allowed.join(" and "),
                "event",
                event,
            ),
        ))
    }
}

/// Checks a rule against the workspace's devices and livestreams; returns what to store.
/// Regex rules one workspace may hold: each costs every comment a match, and one workspace's
/// rules run on the engine that also serves every other workspace.
pub const MAX_REGEX_RULES: i64 = 20;

/// `422` when `input` is one regex rule too many for the workspace (`except`: the rule being
/// replaced).
pub fn check_regex_budget(
    conn: &mut DbConnection,
    ws: &str,
    except: Option<&str>,
    input: &RuleInput,
) -> AppResult<()> {
    if input.when.regex.is_none() {
        return Ok(());
    }
    let mut query = rules::table
        .filter(rules::workspace_id.eq(ws))
        .filter(rules::when_json.like("%\"regex\":\"%"))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(rules::id.ne(id));
    }
    let existing: i64 = query.count().get_result(conn)?;
    if existing >= MAX_REGEX_RULES {
        return Err(AppError::invalid(
            "when.regex",
            crate::i18n::t1("v-regex-rules", "max", MAX_REGEX_RULES),
        ));
    }
    Ok(())
}

pub fn validate(conn: &mut DbConnection, ws: &str, input: RuleInput) -> AppResult<ValidRule> {
    let name = String::from(crate::text::Name::parse("name", &input.name)?);
    let w = &input.when;
    let event = w.event.as_str();
    if let Some((_, why)) = RETIRED_EVENT_TYPES.iter().find(|(name, _)| *name == event) {
        return Err(AppError::invalid(
            "when.event",
            format!("{event:?} no longer exists: {why}"),
        ));
    }
    if !EVENT_TYPES.contains(&event) {
        return Err(AppError::invalid(
            "when.event",
            format!("unknown event {event:?}; one of {}", EVENT_TYPES.join(", ")),
        ));
    }
    for (field, given) in [
        ("contains", w.contains.is_some()),
        ("equals", w.equals.is_some()),
        ("starts_with", w.starts_with.is_some()),
        ("any_of", w.any_of.is_some()),
        ("regex", w.regex.is_some()),
    ] {
        if given {
            applies(field, event, &["comment"])?;
        }
    }
    for (field, given) in [
        ("gift_name", w.gift_name.is_some()),
        ("gift_id", w.gift_id.is_some()),
        ("min_diamonds", w.min_diamonds.is_some()),
    ] {
        if given {
            applies(field, event, &["gift"])?;
        }
    }
    if w.min_count.is_some() {
        applies("min_count", event, &["gift", "like"])?;
    }
    if w.viewers_at_least.is_some() {
        applies("viewers_at_least", event, &["viewer_count"])?;
    }
    if let Some(words) = &w.any_of
        && (words.is_empty() || words.len() > 100 || words.iter().any(|s| s.trim().is_empty()))
    {
        return Err(AppError::invalid(
            "when.any_of",
            "list 1 to 100 non-empty words",
        ));
    }
    if let Some(source) = &w.regex {
        if source.len() > REGEX_MAX_LEN {
            return Err(AppError::invalid(
                "when.regex",
                crate::i18n::t1("v-at-most-chars", "max", REGEX_MAX_LEN),
            ));
        }
        regex::RegexBuilder::new(source)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                AppError::invalid(
                    "when.regex",
                    crate::i18n::t1("v-regex-compile", "error", e.to_string()),
                )
            })?;
    }
    for (field, value) in [
        ("min_diamonds", w.min_diamonds),
        ("min_count", w.min_count),
        ("viewers_at_least", w.viewers_at_least),
        ("gift_id", w.gift_id),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(AppError::invalid(
                &format!("when.{field}"),
                "must not be negative",
            ));
        }
    }
    match (w.every, w.unit) {
        (Some(n), _) if n < 1 => return Err(AppError::invalid("when.every", "must be at least 1")),
        (None, Some(_)) => return Err(AppError::invalid("when.unit", "goes with when.every")),
        (Some(_), Some(Unit::Likes)) => applies("unit", event, &["like"])?,
        (Some(_), Some(Unit::Diamonds)) => applies("unit", event, &["gift"])?,
        _ => {}
    }
    for (field, value) in [
        ("cooldown_ms", input.cooldown_ms),
        ("per_user_cooldown_ms", input.per_user_cooldown_ms),
    ] {
        if value.is_some_and(|v| !(0..=DAY_MS).contains(&v)) {
            return Err(AppError::invalid(field, "must be 0 to 86400000 (a day)"));
        }
    }
    if let Some(ls) = &input.livestream_id {
        let found: i64 = livestreams::table
            .filter(livestreams::id.eq(ls))
            .filter(livestreams::workspace_id.eq(ws))
            .count()
            .get_result(conn)?;
        if found == 0 {
            return Err(AppError::invalid(
                "livestream_id",
                "no such livestream in this workspace",
            ));
        }
    }
    let device = resolve_device(conn, ws, input.then.device_id.as_deref())?;
    let then = validate_then(&input.then, &device)?;
    if let Some(scale) = &then.scale
        && scale.event() != event
    {
        return Err(AppError::invalid(
            "then.scale.unit",
            format!(
                "counts {} events, and this rule fires on {event}",
                scale.event()
            ),
        ));
    }
    crate::rules::options::validate(input.arm.as_ref(), input.price_scaling.as_ref(), event)?;
    Ok(ValidRule {
        options: RuleOptions {
            arm: input.arm,
            pause_on_feed_trouble: input.pause_on_feed_trouble,
            price_scaling: input.price_scaling,
            game: None,
        },
        livestream_id: input.livestream_id,
        name,
        enabled: input.enabled,
        priority: input.priority.unwrap_or(0),
        when: input.when,
        then,
        cooldown_ms: input.cooldown_ms.unwrap_or(0),
        per_user_cooldown_ms: input.per_user_cooldown_ms.unwrap_or(0),
    })
}

fn resolve_device(conn: &mut DbConnection, ws: &str, device_id: Option<&str>) -> AppResult<Device> {
    match device_id {
        Some(id) => DeviceRow::find(conn, ws, id)
            .map(|r| r.device())
            .map_err(|_| AppError::invalid("then.device_id", "no such device in this workspace")),
        None => {
            let mut all = DeviceRow::list(conn, ws)?;
            match all.len() {
                1 => Ok(all.remove(0).device()),
                0 => Err(AppError::invalid(
                    "then.device_id",
                    "register a device first",
                )),
                _ => Err(AppError::invalid(
                    "then.device_id",
                    "required when the workspace has several devices",
                )),
            }
        }
    }
}

fn validate_then(then: &ThenInput, device: &Device) -> AppResult<Then> {
    let command = normalise_command(&then.command)
        .filter(|c| device.allowed_commands.contains(c))
        .ok_or_else(|| {
            AppError::invalid(
                "then.command",
                crate::i18n::t2(
                    "v-not-allowed-command",
                    "command",
                    &then.command,
                    "allowed",
                    device.allowed_commands.join(", "),
                ),
            )
        })?;
    if then.duration_ms.is_some() && then.duration.is_some() {
        return Err(AppError::invalid(
            "then.duration",
            "give duration_ms or duration, not both",
        ));
    }
    let duration_ms = then.duration_ms.or(then.duration).unwrap_or(0);
    if duration_ms < 0 || duration_ms > device.max_duration_ms {
        let field = if then.duration.is_some() {
            "then.duration"
        } else {
            "then.duration_ms"
        };
        return Err(AppError::invalid(
            field,
            crate::i18n::t1("v-duration-max", "max", device.max_duration_ms),
        ));
    }
    let params = match &then.params {
        None => Value::Object(Default::default()),
        Some(p @ Value::Object(map)) if map.len() <= 16 => p.clone(),
        Some(_) => {
            return Err(AppError::invalid(
                "then.params",
                "an object of at most 16 keys",
            ));
        }
    };
    if let Some(scale) = &then.scale {
        if !(1..=crate::devices::model::LIMIT_MAX_DURATION_MS).contains(&scale.per_unit_ms) {
            return Err(AppError::invalid(
                "then.scale.per_unit_ms",
                "must be 1 to 600000",
            ));
        }
        if scale.max_ms < 1 || scale.max_ms > device.max_duration_ms {
            return Err(AppError::invalid(
                "then.scale.max_ms",
                crate::i18n::t1("v-duration-max", "max", device.max_duration_ms),
            ));
        }
    }
    Ok(Then {
        device_id: device.id.clone(),
        command,
        duration_ms,
        params,
        scale: then.scale,
    })
}

/// A rule's persisted counter state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterState {
    pub value: i64,
    pub armed: bool,
}

pub fn load_counters(conn: &mut DbConnection) -> AppResult<Vec<(String, CounterState)>> {
    let rows: Vec<(String, i64, bool)> = rule_counters::table
        .filter(rule_counters::scope.eq("global"))
        .select((
            rule_counters::rule_id,
            rule_counters::value,
            rule_counters::armed,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, value, armed)| (id, CounterState { value, armed }))
        .collect())
}

/// Writes counters (update, or insert when missing: portable across both backends).
pub fn save_counters(
    conn: &mut DbConnection,
    counters: &[(String, CounterState)],
) -> AppResult<()> {
    let now = now_ms();
    for (rule_id, state) in counters {
        let updated = diesel::update(rule_counters::table.find((rule_id, "global")))
            .set((
                rule_counters::value.eq(state.value),
                rule_counters::armed.eq(state.armed),
                rule_counters::updated_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 0 {
            let exists: i64 = rules::table
                .filter(rules::id.eq(rule_id))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                diesel::insert_into(rule_counters::table)
                    .values((
                        rule_counters::rule_id.eq(rule_id),
                        rule_counters::scope.eq("global"),
                        rule_counters::value.eq(state.value),
                        rule_counters::armed.eq(state.armed),
                        rule_counters::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

impl crate::workspaces::scope::WorkspaceRow for RuleRow {
    fn find_in(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<Self> {
        Self::find(conn, ws, id)
    }
}
