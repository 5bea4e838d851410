//! Preset games (`games.md` § Presets): what a streamer fills in, checked once, turned into
//! ordinary rules. The `presets` table keeps the game's input and the ids of its rules.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::presets;
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::rules::model::{RuleInput, ThenInput, Unit, When};

/// Gifts one `gift_action` game may list.
pub const MAX_GIFTS: usize = 50;

crate::text_enum! {
    pub enum PresetKind {
        GiftAction => "gift_action",
        Goal => "goal",
        Vote => "vote",
        Queue => "queue",
        Wheel => "wheel",
    }
}

impl PresetKind {
    /// Whether this server builds the kind yet.
    pub fn available(self) -> bool {
        matches!(self, PresetKind::GiftAction | PresetKind::Goal)
    }
}

/// One line of a `gift_action` game: this gift runs that command.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftAction {
    pub gift_name: Option<String>,
    pub gift_id: Option<i64>,
    pub device_id: Option<String>,
    pub command: String,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalUnit {
    Likes,
    Diamonds,
    Comments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum GoalThen {
    #[default]
    Reset,
    Grow,
}

/// A game as a client writes it: `kind` and its fields. `vote`, `queue` and `wheel` are
/// listed as kinds but not built yet: asking for one is refused with the kinds that are.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PresetInput {
    /// "Rose lights the lamp for 3 s; Galaxy spins the wheel."
    GiftAction {
        name: String,
        gifts: Vec<GiftAction>,
        livestream_id: Option<String>,
    },
    /// The room's likes, diamonds or comments fill a goal; the device fires when it is
    /// reached, then the goal starts again.
    Goal {
        name: String,
        unit: GoalUnit,
        target: i64,
        device_id: Option<String>,
        command: String,
        duration_ms: Option<i64>,
        #[serde(default)]
        then: GoalThen,
        grow_pct: Option<i64>,
        livestream_id: Option<String>,
    },
}

impl PresetInput {
    pub fn kind(&self) -> PresetKind {
        match self {
            PresetInput::GiftAction { .. } => PresetKind::GiftAction,
            PresetInput::Goal { .. } => PresetKind::Goal,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            PresetInput::GiftAction { name, .. } | PresetInput::Goal { name, .. } => name,
        }
    }

    /// The rules the game is made of, each with the field path its errors are reported under.
    pub fn rules(&self) -> AppResult<Vec<(String, RuleInput)>> {
        let game = crate::text::Name::parse("name", self.name())?;
        let game = String::from(game);
        match self {
            PresetInput::GiftAction {
                gifts,
                livestream_id,
                ..
            } => {
                if gifts.is_empty() || gifts.len() > MAX_GIFTS {
                    return Err(AppError::invalid(
                        "gifts",
                        format!("list 1 to {MAX_GIFTS} gifts"),
                    ));
                }
                gifts
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        let path = format!("gifts[{i}]");
                        let gift = match (&g.gift_name, g.gift_id) {
                            (Some(name), None) if !name.trim().is_empty() => name.trim().to_owned(),
                            (None, Some(id)) => format!("#{id}"),
                            _ => {
                                return Err(AppError::invalid(
                                    &format!("{path}.gift_name"),
                                    "name the gift by gift_name or by gift_id (one of them)",
                                ));
                            }
                        };
                        let when = When {
                            gift_name: g.gift_name.as_ref().map(|n| n.trim().to_owned()),
                            gift_id: g.gift_id,
                            ..When::of("gift")
                        };
                        Ok((
                            path,
                            rule(
                                format!("{game}: {gift}"),
                                livestream_id,
                                when,
                                &g.device_id,
                                &g.command,
                                g.duration_ms,
                            ),
                        ))
                    })
                    .collect()
            }
            PresetInput::Goal {
                unit,
                target,
                device_id,
                command,
                duration_ms,
                then,
                livestream_id,
                ..
            } => {
                if *then == GoalThen::Grow {
                    return Err(AppError::invalid(
                        "then",
                        "a goal that grows after each time it is reached is not available yet: use reset",
                    ));
                }
                if *target < 1 {
                    return Err(AppError::invalid("target", "must be at least 1"));
                }
                let (event, unit_name) = match unit {
                    GoalUnit::Likes => ("like", Unit::Likes),
                    GoalUnit::Diamonds => ("gift", Unit::Diamonds),
                    GoalUnit::Comments => ("comment", Unit::Events),
                };
                let when = When {
                    every: Some(*target),
                    unit: Some(unit_name),
                    ..When::of(event)
                };
                Ok(vec![(
                    String::new(),
                    rule(
                        format!("{game}: goal"),
                        livestream_id,
                        when,
                        device_id,
                        command,
                        *duration_ms,
                    ),
                )])
            }
        }
    }
}

fn rule(
    name: String,
    livestream_id: &Option<String>,
    when: When,
    device_id: &Option<String>,
    command: &str,
    duration_ms: Option<i64>,
) -> RuleInput {
    RuleInput {
        id: None,
        livestream_id: livestream_id.clone(),
        name,
        enabled: Some(true),
        priority: None,
        when,
        then: ThenInput {
            device_id: device_id.clone(),
            command: command.to_owned(),
            duration_ms,
            duration: None,
            params: None,
            scale: None,
        },
        cooldown_ms: None,
        per_user_cooldown_ms: None,
        created_at: None,
        updated_at: None,
    }
}

/// A rule's refusal, named after the game's field it came from.
pub fn under(path: &str, err: AppError) -> AppError {
    match err {
        AppError::Validation { fields, .. } if !path.is_empty() => {
            let fields: std::collections::BTreeMap<String, String> = fields
                .into_iter()
                .map(|(field, why)| {
                    let field = field
                        .trim_start_matches("then.")
                        .trim_start_matches("when.")
                        .to_owned();
                    (format!("{path}.{field}"), why)
                })
                .collect();
            AppError::Validation {
                message: fields
                    .iter()
                    .map(|(f, why)| format!("{f}: {why}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                fields,
            }
        }
        other => other,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = presets)]
pub struct PresetRow {
    pub id: String,
    pub workspace_id: String,
    pub kind: PresetKind,
    pub name: String,
    pub config: Json<PresetInput>,
    pub rule_ids: Json<Vec<String>>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresetView {
    pub id: String,
    pub kind: PresetKind,
    pub name: String,
    /// Ordinary rules: edit them on the rules page or API.
    pub rule_ids: Vec<String>,
    /// The game as it was filled in.
    pub config: PresetInput,
    pub created_at: i64,
}

impl PresetRow {
    pub fn view(&self) -> PresetView {
        PresetView {
            id: self.id.clone(),
            kind: self.kind,
            name: self.name.clone(),
            rule_ids: self.rule_ids.get().clone(),
            config: self.config.get().clone(),
            created_at: self.created_at,
        }
    }

    pub fn list(conn: &mut DbConnection, ws: &str) -> AppResult<Vec<PresetRow>> {
        Ok(presets::table
            .filter(presets::workspace_id.eq(ws))
            .order(presets::created_at.asc())
            .select(PresetRow::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<PresetRow> {
        presets::table
            .filter(presets::workspace_id.eq(ws))
            .filter(presets::id.eq(id))
            .select(PresetRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("preset"))
    }
}

impl crate::workspaces::scope::WorkspaceRow for PresetRow {
    fn find_in(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<Self> {
        Self::find(conn, ws, id)
    }
}
