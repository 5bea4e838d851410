//! The `workspaces` and `members` tables.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{devices, livestreams, members, rules, users, workspaces};
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::ids::now_ms;
use crate::workspaces::permissions::Role;
use crate::workspaces::plans::Plan;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub plan: Plan,
    pub created_by: String,
    /// A JSON object.
    pub settings: Json<serde_json::Value>,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
    pub kill_switch_engaged: bool,
    pub kill_switch_reason: Option<String>,
    pub kill_switch_changed_at: Option<i64>,
    pub kill_switch_changed_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KillSwitchView {
    pub engaged: bool,
    pub reason: Option<String>,
    pub changed_at: Option<i64>,
    pub changed_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuspensionView {
    pub suspended_at: i64,
    pub reason: Option<String>,
}

/// A workspace as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub plan: Plan,
    /// The caller's role (API keys act as `admin`).
    pub role: Role,
    pub kill_switch: KillSwitchView,
    pub suspended: Option<SuspensionView>,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl Workspace {
    /// A new workspace: no settings, not suspended, the kill switch released.
    pub fn new(id: String, name: String, plan: Plan, created_by: String, now: i64) -> Self {
        Workspace {
            id,
            name,
            plan,
            created_by,
            settings: Json::empty_object(),
            suspended_at: None,
            suspended_reason: None,
            kill_switch_engaged: false,
            kill_switch_reason: None,
            kill_switch_changed_at: None,
            kill_switch_changed_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn plan(&self) -> Plan {
        self.plan
    }

    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }

    pub fn view(&self, role: Role) -> WorkspaceView {
        WorkspaceView {
            id: self.id.clone(),
            name: self.name.clone(),
            plan: self.plan(),
            role,
            kill_switch: KillSwitchView {
                engaged: self.kill_switch_engaged,
                reason: self.kill_switch_reason.clone(),
                changed_at: self.kill_switch_changed_at,
                changed_by: self.kill_switch_changed_by.clone(),
            },
            suspended: self.suspended_at.map(|at| SuspensionView {
                suspended_at: at,
                reason: self.suspended_reason.clone(),
            }),
            settings: self.settings.get().clone(),
            created_at: self.created_at,
        }
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Workspace>> {
        Ok(workspaces::table
            .find(id)
            .select(Workspace::as_select())
            .first(conn)
            .optional()?)
    }

    /// The workspace and the user's role in it, if the user is a member.
    pub fn with_role(
        conn: &mut DbConnection,
        id: &str,
        user_id: &str,
    ) -> AppResult<Option<(Workspace, Role)>> {
        let row: Option<(Workspace, Role)> = workspaces::table
            .inner_join(members::table)
            .filter(workspaces::id.eq(id))
            .filter(members::user_id.eq(user_id))
            .select((Workspace::as_select(), members::role))
            .first(conn)
            .optional()?;
        Ok(row)
    }

    /// Takes the workspace's row lock for the rest of the transaction (PostgreSQL; SQLite's
    /// `BEGIN IMMEDIATE` already serialises writers), so that "count, then insert if under the
    /// plan's limit" cannot be raced past the limit.
    pub fn lock(conn: &mut DbConnection, id: &str) -> AppResult<()> {
        let touched = diesel::update(workspaces::table.find(id))
            .set(workspaces::updated_at.eq(now_ms()))
            .execute(conn)?;
        if touched == 0 {
            return Err(AppError::not_found("workspace"));
        }
        Ok(())
    }
}

/// Every workspace's plan and kill switch: what the command router checks on every command.
pub fn plans_and_kill_switches(conn: &mut DbConnection) -> AppResult<Vec<(String, Plan, bool)>> {
    Ok(workspaces::table
        .select((
            workspaces::id,
            workspaces::plan,
            workspaces::kill_switch_engaged,
        ))
        .load(conn)?)
}

/// Every workspace the user belongs to, with their role (the dashboard's list).
pub fn all_for_user(conn: &mut DbConnection, user_id: &str) -> AppResult<Vec<(Workspace, Role)>> {
    Ok(workspaces::table
        .inner_join(members::table)
        .filter(members::user_id.eq(user_id))
        .order(workspaces::name.asc())
        .select((Workspace::as_select(), members::role))
        .load(conn)?)
}

pub fn list_for_user(conn: &mut DbConnection, user_id: &str) -> AppResult<Vec<WorkspaceSummary>> {
    let rows: Vec<(String, String, Role)> = workspaces::table
        .inner_join(members::table)
        .filter(members::user_id.eq(user_id))
        .order(workspaces::id.asc())
        .select((workspaces::id, workspaces::name, members::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, role)| WorkspaceSummary { id, name, role })
        .collect())
}

/// How many of each limited resource the workspace holds.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Counts {
    pub livestreams: i64,
    pub rules: i64,
    pub devices: i64,
    pub members: i64,
}

pub fn counts(conn: &mut DbConnection, ws: &str) -> AppResult<Counts> {
    Ok(Counts {
        livestreams: livestreams::table
            .filter(livestreams::workspace_id.eq(ws))
            .count()
            .get_result(conn)?,
        rules: rules::table
            .filter(rules::workspace_id.eq(ws))
            .count()
            .get_result(conn)?,
        devices: devices::table
            .filter(devices::workspace_id.eq(ws))
            .count()
            .get_result(conn)?,
        members: count_members(conn, ws)?,
    })
}

/// [`counts`] of many workspaces at once: one grouped query per resource.
pub fn counts_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> AppResult<std::collections::HashMap<String, Counts>> {
    use diesel::dsl::count_star;
    let mut all: std::collections::HashMap<String, Counts> = ids
        .iter()
        .map(|id| {
            let zero = Counts {
                livestreams: 0,
                rules: 0,
                devices: 0,
                members: 0,
            };
            (id.clone(), zero)
        })
        .collect();
    let per_ws = |rows: Vec<(String, i64)>,
                  all: &mut std::collections::HashMap<String, Counts>,
                  set: fn(&mut Counts, i64)| {
        for (ws, n) in rows {
            if let Some(c) = all.get_mut(&ws) {
                set(c, n);
            }
        }
    };
    let rows = livestreams::table
        .filter(livestreams::workspace_id.eq_any(ids))
        .group_by(livestreams::workspace_id)
        .select((livestreams::workspace_id, count_star()))
        .load(conn)?;
    per_ws(rows, &mut all, |c, n| c.livestreams = n);
    let rows = rules::table
        .filter(rules::workspace_id.eq_any(ids))
        .group_by(rules::workspace_id)
        .select((rules::workspace_id, count_star()))
        .load(conn)?;
    per_ws(rows, &mut all, |c, n| c.rules = n);
    let rows = devices::table
        .filter(devices::workspace_id.eq_any(ids))
        .group_by(devices::workspace_id)
        .select((devices::workspace_id, count_star()))
        .load(conn)?;
    per_ws(rows, &mut all, |c, n| c.devices = n);
    let rows = members::table
        .filter(members::workspace_id.eq_any(ids))
        .group_by(members::workspace_id)
        .select((members::workspace_id, count_star()))
        .load(conn)?;
    per_ws(rows, &mut all, |c, n| c.members = n);
    Ok(all)
}

pub fn count_members(conn: &mut DbConnection, ws: &str) -> AppResult<i64> {
    Ok(members::table
        .filter(members::workspace_id.eq(ws))
        .count()
        .get_result(conn)?)
}

pub fn count_owners(conn: &mut DbConnection, ws: &str) -> AppResult<i64> {
    Ok(members::table
        .filter(members::workspace_id.eq(ws))
        .filter(members::role.eq(Role::Owner))
        .count()
        .get_result(conn)?)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: i64,
}

pub fn list_members(conn: &mut DbConnection, ws: &str) -> AppResult<Vec<MemberView>> {
    let rows: Vec<(String, String, String, Role, i64)> = members::table
        .inner_join(users::table)
        .filter(members::workspace_id.eq(ws))
        .order(members::created_at.asc())
        .select((
            users::id,
            users::email,
            users::name,
            members::role,
            members::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, email, name, role, joined_at)| MemberView {
            user_id,
            email,
            name,
            role,
            joined_at,
        })
        .collect())
}

pub fn member_role(conn: &mut DbConnection, ws: &str, user_id: &str) -> AppResult<Option<Role>> {
    Ok(members::table
        .find((ws, user_id))
        .select(members::role)
        .first(conn)
        .optional()?)
}

pub fn add_member(conn: &mut DbConnection, ws: &str, user_id: &str, role: Role) -> AppResult<i64> {
    let now = now_ms();
    diesel::insert_into(members::table)
        .values((
            members::workspace_id.eq(ws),
            members::user_id.eq(user_id),
            members::role.eq(role),
            members::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(now)
}
