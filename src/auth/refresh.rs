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

/// Stores a new token (starting a family when `family_id` is `None`) and returns it in clear.
pub fn issue(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: Option<&str>,
    ttl_s: u64,
) -> AppResult<Issued> {
    let token = random_token(32);
    let now = now_ms();
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
    let next = issue(conn, &token.user_id, Some(&token.family_id), ttl_s)?;
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
