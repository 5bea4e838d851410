//! Rule options that know the hardware and the stream (`games.md` § Rule options): `arm`,
//! `pause_on_feed_trouble`, `price_scaling`, and the game a preset's rule belongs to. Stored
//! together in the rule's `options_json`; shown as fields of the rule.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::presets::role::GameRole;

/// Fires only while its livestream is live, and optionally within daily hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// Only while the livestream is live (default true).
    #[serde(default = "yes")]
    pub with_live: bool,
    /// `HH:MM-HH:MM`, in `tz`; a window that ends before it starts runs past midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// An IANA zone (`Asia/Ho_Chi_Minh`); default UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

fn yes() -> bool {
    true
}

/// After each firing the rule's price rises by `step_pct`, and falls back over `decay_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceScaling {
    /// 1 to 1000.
    pub step_pct: i64,
    /// 1 to 86400.
    pub decay_s: i64,
}

/// What `options_json` holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<Arm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_on_feed_trouble: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_scaling: Option<PriceScaling>,
    /// Set by presets only: the game this rule plays a part in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game: Option<GameRole>,
}

impl RuleOptions {
    /// Every rule drives hardware: it pauses during feed trouble unless told otherwise.
    pub fn pauses_on_feed_trouble(&self) -> bool {
        self.pause_on_feed_trouble.unwrap_or(true)
    }
}

/// Daily hours in a zone, parsed once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hours {
    /// Minutes after midnight.
    start: u32,
    end: u32,
    tz: chrono_tz::Tz,
}

impl Hours {
    pub fn parse(hours: &str, tz: Option<&str>) -> AppResult<Hours> {
        let bad = || AppError::invalid("arm.hours", "write HH:MM-HH:MM, e.g. 18:00-23:30");
        let (from, to) = hours.split_once('-').ok_or_else(bad)?;
        let minutes = |t: &str| -> AppResult<u32> {
            let (h, m) = t.trim().split_once(':').ok_or_else(bad)?;
            let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let (start, end) = (minutes(from)?, minutes(to)?);
        if start == end {
            return Err(AppError::invalid(
                "arm.hours",
                "the window is empty: start and end are the same",
            ));
        }
        let tz = match tz {
            None => chrono_tz::UTC,
            Some(name) => name.parse::<chrono_tz::Tz>().map_err(|_| {
                AppError::invalid(
                    "arm.tz",
                    format!("{name:?} is not a time zone; use one like Asia/Ho_Chi_Minh or UTC"),
                )
            })?,
        };
        Ok(Hours { start, end, tz })
    }

    /// Whether `now_ms` falls in the window.
    pub fn contains(&self, now_ms: i64) -> bool {
        use chrono::{TimeZone as _, Timelike as _};
        let Some(at) = self.tz.timestamp_millis_opt(now_ms).single() else {
            return false;
        };
        let minute = at.hour() * 60 + at.minute();
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// Checks the options a client may set; the game is the presets' and is not read from input.
pub fn validate(
    arm: Option<&Arm>,
    price_scaling: Option<&PriceScaling>,
    event: &str,
) -> AppResult<()> {
    if let Some(Arm {
        hours: Some(hours),
        tz,
        ..
    }) = arm
    {
        Hours::parse(hours, tz.as_deref())?;
    }
    if let Some(Arm {
        hours: None,
        tz: Some(_),
        ..
    }) = arm
    {
        return Err(AppError::invalid("arm.tz", "goes with arm.hours"));
    }
    if let Some(p) = price_scaling {
        if event != "gift" {
            return Err(AppError::invalid(
                "price_scaling",
                format!("raises a gift's price, and this rule fires on {event}"),
            ));
        }
        if !(1..=1000).contains(&p.step_pct) {
            return Err(AppError::invalid(
                "price_scaling.step_pct",
                "must be 1 to 1000",
            ));
        }
        if !(1..=86_400).contains(&p.decay_s) {
            return Err(AppError::invalid(
                "price_scaling.decay_s",
                "must be 1 to 86400 (a day)",
            ));
        }
    }
    Ok(())
}

/// A rule's price level: each firing adds one, and one falls away every `decay_s`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriceLevel {
    level: f64,
    at: i64,
}

impl PriceLevel {
    fn now(&self, scaling: &PriceScaling, now: i64) -> f64 {
        let gone = (now - self.at).max(0) as f64 / (scaling.decay_s as f64 * 1000.0);
        (self.level - gone).max(0.0)
    }

    /// The diamonds a gift must be worth now for a rule whose base price is `base`.
    pub fn price(&self, scaling: &PriceScaling, base: i64, now: i64) -> i64 {
        let factor = 1.0 + scaling.step_pct as f64 / 100.0 * self.now(scaling, now);
        (base.max(1) as f64 * factor).ceil() as i64
    }

    /// The rule fired at `now`.
    pub fn fired(&mut self, scaling: &PriceScaling, now: i64) {
        self.level = self.now(scaling, now) + 1.0;
        self.at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-05 00:00 UTC.
    const MIDNIGHT_UTC: i64 = 1_796_428_800_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn hours_are_read_in_their_zone_and_may_run_past_midnight() {
        // 18:00-23:30 in Vietnam (UTC+7) is 11:00-16:30 UTC.
        let evening = Hours::parse("18:00-23:30", Some("Asia/Ho_Chi_Minh")).unwrap();
        assert!(!evening.contains(MIDNIGHT_UTC + 10 * HOUR));
        assert!(evening.contains(MIDNIGHT_UTC + 11 * HOUR));
        assert!(evening.contains(MIDNIGHT_UTC + 16 * HOUR + 29 * 60_000));
        assert!(!evening.contains(MIDNIGHT_UTC + 16 * HOUR + 30 * 60_000));
        let night = Hours::parse("22:00-02:00", None).unwrap();
        assert!(night.contains(MIDNIGHT_UTC + HOUR));
        assert!(night.contains(MIDNIGHT_UTC + 23 * HOUR));
        assert!(!night.contains(MIDNIGHT_UTC + 12 * HOUR));
    }

    #[test]
    fn bad_hours_and_zones_are_explained() {
        for (hours, tz, field) in [
            ("18-23", None, "arm.hours"),
            ("24:00-01:00", None, "arm.hours"),
            ("10:00-10:00", None, "arm.hours"),
            ("10:00-11:00", Some("Mars/Olympus"), "arm.tz"),
        ] {
            match Hours::parse(hours, tz) {
                Err(AppError::Validation { fields, .. }) => {
                    assert!(fields.contains_key(field), "{hours} {tz:?}: {fields:?}")
                }
                other => panic!("{hours}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_price_rises_with_each_firing_and_falls_back_over_the_decay() {
        let scaling = PriceScaling {
            step_pct: 20,
            decay_s: 60,
        };
        let mut level = PriceLevel::default();
        assert_eq!(level.price(&scaling, 100, 0), 100);
        level.fired(&scaling, 0);
        assert_eq!(level.price(&scaling, 100, 0), 120);
        level.fired(&scaling, 0);
        assert_eq!(level.price(&scaling, 100, 0), 140);
        // Half the decay later, one half step has fallen away; after two decays, none is left.
        assert_eq!(level.price(&scaling, 100, 30_000), 130);
        assert_eq!(level.price(&scaling, 100, 120_000), 100);
        assert_eq!(level.price(&scaling, 100, 10 * 60_000), 100);
    }
}
