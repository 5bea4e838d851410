//! Preset games (`games.md` § Presets): what a streamer fills in, checked once, turned into
//! ordinary rules. The `presets` table keeps the game's input and the ids of its rules.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::presets;
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::presets::role::GameRole;
use crate::rules::model::{RuleInput, ThenInput, When};

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
    /// Whether this server builds the kind (every kind, since the games landed).
    pub fn available(self) -> bool {
        true
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

/// A word viewers comment, and the command it stands for (a vote's option, a queue's control).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WordAction {
    pub word: String,
    pub device_id: Option<String>,
    pub command: String,
    pub duration_ms: Option<i64>,
}

/// Which gifts count: by name, or any worth at least `min_diamonds` (one of them).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftTrigger {
    pub gift_name: Option<String>,
    pub min_diamonds: Option<i64>,
}

/// One of a wheel's choices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WheelChoice {
    /// 1 to 1000: a choice of weight 2 comes up twice as often as one of weight 1.
    pub weight: i64,
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

/// A game as a client writes it: `kind` and its fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PresetInput {
    /// "Rose lights the lamp for 3 s; Galaxy spins the wheel."
    GiftAction {
        name: String,
        gifts: Vec<GiftAction>,
        livestream_id: Option<String>,
    },
    /// The room's likes, diamonds or comments fill a goal; the device fires each time it is
    /// reached, then the goal starts again (`reset`) or grows by `grow_pct` (`grow`).
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
    /// Viewers comment one of the words during `window_s` (from the first vote); the
    /// winner's command runs (a tie goes to the option listed first).
    Vote {
        name: String,
        options: Vec<WordAction>,
        window_s: Option<i64>,
        livestream_id: Option<String>,
    },
    /// Each qualifying gift buys its viewer a turn of `turn_s`; viewers take turns round the
    /// queue; during a turn, only its viewer's control words drive the device.
    Queue {
        name: String,
        ticket: GiftTrigger,
        turn_s: Option<i64>,
        controls: Vec<WordAction>,
        livestream_id: Option<String>,
    },
    /// A qualifying gift spins: one choice, drawn by weight, runs.
    Wheel {
        name: String,
        trigger: GiftTrigger,
        choices: Vec<WheelChoice>,
        livestream_id: Option<String>,
    },
}

/// One rule of a game, the field path its errors are reported under, and its part.
pub struct GameRule {
    pub path: String,
    pub rule: RuleInput,
    pub role: Option<GameRole>,
}

fn in_range(field: &str, value: i64, min: i64, max: i64) -> AppResult<i64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            field,
            crate::i18n::t2("v-range", "min", min, "max", max),
        ))
    }
}

/// Distinct words, 1 to `max` of them: the field path of the first wrong one.
fn words(field: &str, list: &[WordAction], min: usize, max: usize) -> AppResult<()> {
    if list.len() < min || list.len() > max {
        return Err(AppError::invalid(
            field,
            format!("list {min} to {max} words"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, w) in list.iter().enumerate() {
        let word = w.word.trim().to_lowercase();
        if word.is_empty() || word.len() > 64 || word.contains(char::is_whitespace) {
            return Err(AppError::invalid(
                &format!("{field}[{i}].word"),
                "one word of 1 to 64 characters",
            ));
        }
        if !seen.insert(word) {
            return Err(AppError::invalid(
                &format!("{field}[{i}].word"),
                "each word once",
            ));
        }
    }
    Ok(())
}

impl GiftTrigger {
    /// The gift condition, or why not.
    fn when(&self, field: &str) -> AppResult<When> {
        match (&self.gift_name, self.min_diamonds) {
            (Some(name), None) if !name.trim().is_empty() => Ok(When {
                gift_name: Some(name.trim().to_owned()),
                ..When::of("gift")
            }),
            (None, Some(min)) if min >= 1 => Ok(When {
                min_diamonds: Some(min),
                ..When::of("gift")
            }),
            _ => Err(AppError::invalid(
                &format!("{field}.gift_name"),
                "name the gift by gift_name, or give min_diamonds of at least 1 (one of them)",
            )),
        }
    }
}

impl PresetInput {
    pub fn kind(&self) -> PresetKind {
        match self {
            PresetInput::GiftAction { .. } => PresetKind::GiftAction,
            PresetInput::Goal { .. } => PresetKind::Goal,
            PresetInput::Vote { .. } => PresetKind::Vote,
            PresetInput::Queue { .. } => PresetKind::Queue,
            PresetInput::Wheel { .. } => PresetKind::Wheel,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            PresetInput::GiftAction { name, .. }
            | PresetInput::Goal { name, .. }
            | PresetInput::Vote { name, .. }
            | PresetInput::Queue { name, .. }
            | PresetInput::Wheel { name, .. } => name,
        }
    }

    /// The rules the game `preset_id` is made of.
    pub fn rules(&self, preset_id: &str) -> AppResult<Vec<GameRule>> {
        let game = crate::text::Name::parse("name", self.name())?;
        let game = String::from(game);
        let id = preset_id.to_owned();
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
                        Ok(GameRule {
                            path,
                            rule: rule(
                                format!("{game}: {gift}"),
                                livestream_id,
                                when,
                                &g.device_id,
                                &g.command,
                                g.duration_ms,
                            ),
                            role: None,
                        })
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
                grow_pct,
                livestream_id,
                ..
            } => {
                let target = in_range("target", *target, 1, 1_000_000_000)?;
                let grow_pct = match (then, grow_pct) {
                    (GoalThen::Grow, Some(pct)) => Some(in_range("grow_pct", *pct, 1, 1000)?),
                    (GoalThen::Grow, None) => {
                        return Err(AppError::invalid(
                            "grow_pct",
                            "say by how much the goal grows (1 to 1000 %)",
                        ));
                    }
                    (GoalThen::Reset, Some(_)) => {
                        return Err(AppError::invalid("grow_pct", "goes with then: grow"));
                    }
                    (GoalThen::Reset, None) => None,
                };
                let event = match unit {
                    GoalUnit::Likes => "like",
                    GoalUnit::Diamonds => "gift",
                    GoalUnit::Comments => "comment",
                };
                Ok(vec![GameRule {
                    path: String::new(),
                    rule: rule(
                        format!("{game}: goal"),
                        livestream_id,
                        When::of(event),
                        device_id,
                        command,
                        *duration_ms,
                    ),
                    role: Some(GameRole::Goal {
                        preset_id: id,
                        unit: *unit,
                        target,
                        grow_pct,
                    }),
                }])
            }
            PresetInput::Vote {
                options,
                window_s,
                livestream_id,
                ..
            } => {
                words("options", options, 2, 10)?;
                let window_s = in_range("window_s", window_s.unwrap_or(30), 2, 600)?;
                Ok(options
                    .iter()
                    .enumerate()
                    .map(|(index, o)| {
                        let word = o.word.trim().to_lowercase();
                        GameRule {
                            path: format!("options[{index}]"),
                            rule: rule(
                                format!("{game}: vote {word}"),
                                livestream_id,
                                When {
                                    equals: Some(word),
                                    ..When::of("comment")
                                },
                                &o.device_id,
                                &o.command,
                                o.duration_ms,
                            ),
                            role: Some(GameRole::VoteOption {
                                preset_id: id.clone(),
                                index,
                                window_s,
                            }),
                        }
                    })
                    .collect())
            }
            PresetInput::Queue {
                ticket,
                turn_s,
                controls,
                livestream_id,
                ..
            } => {
                words("controls", controls, 1, 10)?;
                let turn_s = in_range("turn_s", turn_s.unwrap_or(30), 2, 600)?;
                let first = &controls[0];
                let mut rules = vec![GameRule {
                    path: "ticket".into(),
                    // Its command is never sent: a ticket buys a turn. It names the device
                    // the turns are for.
                    rule: rule(
                        format!("{game}: ticket (buys a turn)"),
                        livestream_id,
                        ticket.when("ticket")?,
                        &first.device_id,
                        &first.command,
                        Some(0),
                    ),
                    role: Some(GameRole::QueueTicket {
                        preset_id: id.clone(),
                        turn_s,
                    }),
                }];
                rules.extend(controls.iter().enumerate().map(|(i, c)| {
                    let word = c.word.trim().to_lowercase();
                    GameRule {
                        path: format!("controls[{i}]"),
                        rule: rule(
                            format!("{game}: {word}"),
                            livestream_id,
                            When {
                                equals: Some(word),
                                ..When::of("comment")
                            },
                            &c.device_id,
                            &c.command,
                            c.duration_ms,
                        ),
                        role: Some(GameRole::QueueControl {
                            preset_id: id.clone(),
                            turn_s,
                        }),
                    }
                }));
                Ok(rules)
            }
            PresetInput::Wheel {
                trigger,
                choices,
                livestream_id,
                ..
            } => {
                if choices.len() < 2 || choices.len() > 20 {
                    return Err(AppError::invalid("choices", "list 2 to 20 choices"));
                }
                let when = trigger.when("trigger")?;
                choices
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let path = format!("choices[{i}]");
                        let weight = in_range(&format!("{path}.weight"), c.weight, 1, 1000)?;
                        Ok(GameRule {
                            rule: rule(
                                format!("{game}: choice {} ({})", i + 1, c.command.trim()),
                                livestream_id,
                                when.clone(),
                                &c.device_id,
                                &c.command,
                                c.duration_ms,
                            ),
                            path,
                            role: Some(GameRole::WheelChoice {
                                preset_id: id.clone(),
                                weight,
                            }),
                        })
                    })
                    .collect()
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
        arm: None,
        pause_on_feed_trouble: None,
        price_scaling: None,
        game: None,
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
