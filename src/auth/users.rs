//! The `users` table.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::preferences::Preferences;
use crate::db::DbConnection;
use crate::db::schema::{instance_settings, users};
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::ids::{new_id, now_ms, prefix};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_platform_admin: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub preferences: Json<Preferences>,
}

/// A user as the API shows it (never the hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_platform_admin: bool,
    pub created_at: i64,
    pub preferences: Preferences,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            is_platform_admin: u.is_platform_admin,
            created_at: u.created_at,
            preferences: u.preferences.get().clone(),
        }
    }
}

impl User {
    pub fn new(email: String, name: String, password_hash: String) -> AppResult<Self> {
        let now = now_ms();
        Ok(User {
            id: new_id(prefix::USER),
            email,
            name,
            password_hash,
            is_platform_admin: false,
            created_at: now,
            updated_at: now,
            preferences: Json::new(Preferences::default())?,
        })
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<User>> {
        Ok(users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    /// The account of a signed-in caller: 401 when it was deleted since the sign-in.
    pub fn existing(conn: &mut DbConnection, id: &str) -> AppResult<User> {
        User::find(conn, id)?
            .ok_or_else(|| AppError::Unauthenticated("account no longer exists".into()))
    }

    /// [`User::existing`], off the async workers.
    pub async fn load(state: &crate::context::AppState, id: &str) -> AppResult<User> {
        let id = id.to_owned();
        state.db.run(move |conn| User::existing(conn, &id)).await
    }

    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> AppResult<Option<User>> {
        Ok(users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    /// Inserts the user; `409` when the email is taken. The first account of an instance
    /// becomes its platform admin (a unique row in `instance_settings` settles races).
    pub fn create(
        conn: &mut DbConnection,
        mut user: User,
        platform_admin: bool,
    ) -> AppResult<User> {
        if User::find_by_email(conn, &user.email)?.is_some() {
            return Err(AppError::Conflict(
                "an account with this email already exists".into(),
            ));
        }
        let no_users_yet: i64 = users::table.count().get_result(conn)?;
        if platform_admin || (no_users_yet == 0 && claim_first_admin(conn, &user.id)?) {
            user.is_platform_admin = true;
        }
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => {
                    AppError::Conflict("an account with this email already exists".into())
                }
                other => other,
            })?;
        Ok(user)
    }
}

fn claim_first_admin(conn: &mut DbConnection, user_id: &str) -> AppResult<bool> {
    let taken: i64 = instance_settings::table
        .filter(instance_settings::key.eq("first_platform_admin"))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Ok(false);
    }
    diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::key.eq("first_platform_admin"),
            instance_settings::value.eq(user_id),
        ))
        .execute(conn)?;
    Ok(true)
}
