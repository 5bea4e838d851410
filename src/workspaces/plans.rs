//! Plans and their limits (`config.md` § Plans).

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

crate::text_enum! {
    pub enum Plan {
        Free => "free",
        Pro => "pro",
        Team => "team",
        Unlimited => "unlimited",
    }
}

/// `None` means no limit.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Limits {
    pub livestreams: Option<i64>,
    pub rules: Option<i64>,
    pub devices: Option<i64>,
    pub members: Option<i64>,
    pub commands_per_minute: Option<i64>,
    /// Workspaces one account may create while this is the instance's default plan (so that
    /// many free workspaces do not add up to a bigger plan).
    pub workspaces: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
pub enum Resource {
    Livestreams,
    Rules,
    Devices,
    Members,
    Workspaces,
}

impl Plan {
    pub fn limits(self) -> Limits {
        let (livestreams, rules, devices, members, commands_per_minute, workspaces) = match self {
            Plan::Free => (1, 10, 2, 2, 60, 1),
            Plan::Pro => (5, 100, 10, 5, 600, 3),
            Plan::Team => (20, 500, 50, 25, 3000, 10),
            Plan::Unlimited => {
                return Limits {
                    livestreams: None,
                    rules: None,
                    devices: None,
                    members: None,
                    commands_per_minute: None,
                    workspaces: None,
                };
            }
        };
        Limits {
            livestreams: Some(livestreams),
            rules: Some(rules),
            devices: Some(devices),
            members: Some(members),
            commands_per_minute: Some(commands_per_minute),
            workspaces: Some(workspaces),
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
            Resource::Workspaces => ("workspaces", limits.workspaces),
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
