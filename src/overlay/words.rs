//! A game's state in a line of words, for the overlay and the presets page.

use crate::i18n::{t, t1, t2};
use crate::presets::games::GameView;
use crate::presets::model::GoalUnit;

fn secs(ms: i64) -> i64 {
    (ms + 999) / 1000
}

/// "12 / 100 likes", "lamp 3 · camera 1 · 12 s left", "alice's turn · 8 s · next: bob"…;
/// empty for a game without state (gift → action).
pub fn game_now(view: &GameView) -> String {
    if let Some(goal) = &view.goal {
        let unit = match goal.unit {
            GoalUnit::Likes => t("presets-likes"),
            GoalUnit::Diamonds => t("presets-diamonds"),
            GoalUnit::Comments => t("presets-comments"),
        };
        return format!(
            "{} / {} {}",
            goal.progress,
            goal.target,
            unit.to_lowercase()
        );
    }
    if let Some(vote) = &view.vote {
        let counts = vote
            .options
            .iter()
            .map(|o| format!("“{}” {}", o.word, o.votes))
            .collect::<Vec<_>>()
            .join(" · ");
        return match (vote.open, vote.ends_in_ms, &vote.last_winner) {
            (true, Some(ms), _) => format!("{counts} · {}", t1("game-vote-left", "s", secs(ms))),
            (_, _, Some(winner)) => format!("{counts} · {}", t1("game-vote-won", "word", winner)),
            _ => format!("{counts} · {}", t("game-vote-idle")),
        };
    }
    if let Some(queue) = &view.queue {
        let next = if queue.waiting.is_empty() {
            String::new()
        } else {
            format!(
                " · {}",
                t1("game-next", "viewers", queue.waiting.join(", "))
            )
        };
        return match &queue.turn {
            Some(turn) => format!(
                "{}{next}",
                t2(
                    "game-turn",
                    "viewer",
                    &turn.viewer,
                    "s",
                    secs(turn.ends_in_ms)
                )
            ),
            None => t("game-no-turn").into_owned(),
        };
    }
    if let Some(wheel) = &view.wheel {
        return match &wheel.last_choice {
            Some(choice) => t1("game-wheel-last", "command", choice).into_owned(),
            None => t("game-wheel-idle").into_owned(),
        };
    }
    String::new()
}

/// How far a goal is, 0 to 100 (`None` for other games).
pub fn goal_percent(view: &GameView) -> Option<i64> {
    view.goal
        .as_ref()
        .map(|g| (g.progress * 100 / g.target.max(1)).clamp(0, 100))
}
