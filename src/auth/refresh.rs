//! Refresh tokens: opaque, stored hashed, rotated on every use. Each login starts a family;
//! presenting a token that was already rotated revokes the whole family (a stolen token and
//! its legitimate twin cannot both live on).
//!
//! One exception keeps browsers signed in: two tabs share one cookie jar and may renew with
//! the same token at the same moment. Within `auth.refresh_reuse_grace_ms` of its rotation a token is
//! refused without revoking anything (the other tab already holds the new pair).

use diesel::prelude::*;

use crate::auth::secrets::{hash_token, random_token};
use crate::db::DbConnection;
use crate::db::schema::refresh_tokens as rt;
use crate::error::{AppError, AppResult};
use crate::ids::{new_id, now_ms, prefix};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = rt)]
struct RefreshToken {
    id: String,
    user_id: String,
    family_id: String,
    expires_at: i64,
    rotated_at: Option<i64>,
    revoked_at: Option<i64>,
    created_at: i64,
    started_at: Option<i64>,
    client: Option<String>,
    address: Option<String>,
}

/// Where a sign-in started: kept along its rotations, listed on the account page.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The browser or program (its `User-Agent`, shortened).
    pub client: String,
    pub address: String,
}

/// One sign-in (refresh family) that can still renew.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SignIn {
    pub id: String,
    /// When the password was entered (Unix ms).
    pub started_at: i64,
    /// The last renewal (Unix ms).
    pub last_used_at: i64,
    /// The browser or program, from its `User-Agent`.
    pub client: String,
    pub address: String,
    /// The sign-in this request was made with.
    pub current: bool,
}

pub enum Rotation {
    /// The token was good: here is the user and the next token of the family.
    Rotated {
        user_id: String,
        family_id: String,
        token: String,
    },
    /// The token was rotated moments ago (a concurrent renewal): refused, nothing revoked.
    JustRotated,
    /// The token had already been rotated; its family is now revoked. The caller commits
    /// that, denies the family's access tokens and answers `TOKEN_REUSED`.
    Reused { family_id: String },
}

/// A new refresh token, in clear, and the family it belongs to.
pub struct Issued {
    pub token: String,
    pub family_id: String,
}

/// Which sign-in a new token belongs to.
pub enum Family<'a> {
    New(Origin),
    Continue {
        id: &'a str,
        started_at: i64,
        origin: Origin,
    },
}

/// Stores a new token (starting a family when `family_id` is `None`) and returns it in clear.
pub fn issue(
    conn: &mut DbConnection,
    user_id: &str,
    family: Family<'_>,
    ttl_s: u64,
) -> AppResult<Issued> {
    let token = random_token(32);
    let now = now_ms();
    let (family_id, started_at, origin) = match family {
        Family::New(origin) => (None, now, origin),
        Family::Continue {
            id,
            started_at,
            origin,
        } => (Some(id), started_at, origin),
    };
    let family = family_id.map_or_else(|| new_id(prefix::TOKEN_FAMILY), str::to_owned);
    let ttl_ms = i64::try_from(ttl_s)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000);
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(new_id(prefix::REFRESH_TOKEN)),
            rt::user_id.eq(user_id),
            rt::family_id.eq(&family),
            rt::token_hash.eq(hash_token(&token)),
            rt::created_at.eq(now),
            rt::expires_at.eq(now.saturating_add(ttl_ms)),
            rt::started_at.eq(started_at),
            rt::client.eq(&origin.client),
            rt::address.eq(&origin.address),
        ))
        .execute(conn)?;
    Ok(Issued {
        token,
        family_id: family,
    })
}

fn find(conn: &mut DbConnection, presented: &str) -> AppResult<Option<RefreshToken>> {
    Ok(rt::table
        .filter(rt::token_hash.eq(hash_token(presented)))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?)
}

pub fn rotate(
    conn: &mut DbConnection,
    presented: &str,
    ttl_s: u64,
    grace_ms: i64,
) -> AppResult<Rotation> {
    let invalid = || AppError::Unauthenticated("invalid refresh token".into());
    let token = find(conn, presented)?.ok_or_else(invalid)?;
    if token.revoked_at.is_some() {
        return Err(AppError::Unauthenticated("refresh token revoked".into()));
    }
    let now = now_ms();
    if let Some(rotated_at) = token.rotated_at {
        if now.saturating_sub(rotated_at) <= grace_ms {
            return Ok(Rotation::JustRotated);
        }
        revoke_family(conn, &token.family_id)?;
        return Ok(Rotation::Reused {
            family_id: token.family_id,
        });
    }
    if token.expires_at <= now {
        return Err(AppError::Unauthenticated("refresh token expired".into()));
    }
    // Only one of two concurrent refreshes with the same token can win this update.
    let won = diesel::update(
        rt::table
            .filter(rt::id.eq(&token.id))
            .filter(rt::rotated_at.is_null())
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::rotated_at.eq(now))
    .execute(conn)?;
    if won == 0 {
        // A concurrent renewal with the same token won just now.
        return Ok(Rotation::JustRotated);
    }
    let family = Family::Continue {
        id: &token.family_id,
        started_at: token.started_at.unwrap_or(token.created_at),
        origin: Origin {
            client: token.client.clone().unwrap_or_default(),
            address: token.address.clone().unwrap_or_default(),
        },
    };
    let next = issue(conn, &token.user_id, family, ttl_s)?;
    Ok(Rotation::Rotated {
        user_id: token.user_id,
        family_id: next.family_id,
        token: next.token,
    })
}

pub fn revoke_family(conn: &mut DbConnection, family_id: &str) -> AppResult<()> {
    diesel::update(
        rt::table
            .filter(rt::family_id.eq(family_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now_ms()))
    .execute(conn)?;
    Ok(())
}

/// Signing out a browser session: revokes the family `family_id` if it belongs to `user_id`.
pub fn revoke_family_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: &str,
) -> AppResult<()> {
    diesel::update(
        rt::table
            .filter(rt::family_id.eq(family_id))
            .filter(rt::user_id.eq(user_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now_ms()))
    .execute(conn)?;
    Ok(())
}

/// Logout: revokes the family of `presented` if it belongs to `user_id`.
pub fn revoke_for_user(conn: &mut DbConnection, user_id: &str, presented: &str) -> AppResult<()> {
    match find(conn, presented)? {
        Some(token) if token.user_id == user_id => revoke_family(conn, &token.family_id),
        _ => Ok(()),
    }
}

/// The user's sign-ins that can still renew, newest first (`current`: the caller's own).
pub fn live_sign_ins(
    conn: &mut DbConnection,
    user_id: &str,
    current: Option<&str>,
) -> AppResult<Vec<SignIn>> {
    let now = now_ms();
    let tokens: Vec<RefreshToken> = rt::table
        .filter(rt::user_id.eq(user_id))
        .filter(rt::rotated_at.is_null())
        .filter(rt::revoked_at.is_null())
        .filter(rt::expires_at.gt(now))
        .order(rt::created_at.desc())
        .select(RefreshToken::as_select())
        .load(conn)?;
    Ok(tokens
        .into_iter()
        .map(|t| SignIn {
            current: current == Some(t.family_id.as_str()),
            started_at: t.started_at.unwrap_or(t.created_at),
            last_used_at: t.created_at,
            client: t.client.unwrap_or_default(),
            address: t.address.unwrap_or_default(),
            id: t.family_id,
        })
        .collect())
}

/// Revokes every sign-in of the user but `keep`; returns the ones it ended.
pub fn revoke_all_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    keep: Option<&str>,
) -> AppResult<Vec<String>> {
    let mut families: Vec<String> = rt::table
        .filter(rt::user_id.eq(user_id))
        .filter(rt::revoked_at.is_null())
        .select(rt::family_id)
        .distinct()
        .load(conn)?;
    families.retain(|f| Some(f.as_str()) != keep);
    for family in &families {
        revoke_family(conn, family)?;
    }
    Ok(families)
}
