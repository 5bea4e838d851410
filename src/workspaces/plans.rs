//! Plans and their limits (`config.md` § Plans).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Team,
    Unlimited,
}

/// `None` means no limit.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Limits {
    pub livestreams: Option<i64>,
    pub rules: Option<i64>,
    pub devices: Option<i64>,
    pub members: Option<i64>,
    pub commands_per_minute: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
pub enum Resource {
    Livestreams,
    Rules,
    Devices,
    Members,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Team => "team",
            Plan::Unlimited => "unlimited",
        }
    }

    pub fn parse(s: &str) -> Option<Plan> {
        match s {
            "free" => Some(Plan::Free),
            "pro" => Some(Plan::Pro),
            "team" => Some(Plan::Team),
            "unlimited" => Some(Plan::Unlimited),
            _ => None,
        }
    }

    pub fn limits(self) -> Limits {
        let (livestreams, rules, devices, members, commands_per_minute) = match self {
            Plan::Free => (1, 10, 2, 2, 60),
            Plan::Pro => (5, 100, 10, 5, 600),
            Plan::Team => (20, 500, 50, 25, 3000),
            Plan::Unlimited => {
                return Limits {
                    livestreams: None,
                    rules: None,
                    devices: None,
                    members: None,
                    commands_per_minute: None,
                };
            }
        };
        Limits {
            livestreams: Some(livestreams),
            rules: Some(rules),
            devices: Some(devices),
            members: Some(members),
            commands_per_minute: Some(commands_per_minute),
        }
    }

    /// `402 PLAN_LIMIT_REACHED` when one more `resource` would exceed the plan.
    pub fn check(self, resource: Resource, current: i64) -> AppResult<()> {
        let limits = self.limits();
        let (name, limit) = match resource {
            Resource::Livestreams => ("livestreams", limits.livestreams),
            Resource::Rules => ("rules", limits.rules),
            Resource::Devices => ("devices", limits.devices),
            Resource::Members => ("members", limits.members),
        };
        match limit {
            Some(limit) if current >= limit => Err(AppError::PlanLimitReached {
                resource: name,
                limit,
                current,
                plan: self.as_str().to_owned(),
            }),
            _ => Ok(()),
        }
    }
}
