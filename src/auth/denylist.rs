//! Access tokens denied before their expiry. Checked on every request, so it lives in memory,
//! loaded from the database at start and written through.
//!
//! An entry is an access token's `jti` (a logout) or a whole sign-in, its refresh family's id
//! (a logout, or a stolen refresh token replayed): every access token that names that family
//! in its `sid` claim is refused until the last one issued would have expired. Ids carry
//! their type prefix, so one table holds both.

use std::collections::HashMap;

use diesel::prelude::*;
use parking_lot::RwLock;

use crate::db::DbConnection;
use crate::db::schema::denied_access_tokens as denied;
use crate::error::AppResult;
use crate::ids::now_ms;

#[derive(Default)]
pub struct DenyList {
    /// jti → expiry (Unix seconds).
    entries: RwLock<HashMap<String, i64>>,
}

impl DenyList {
    pub fn load(conn: &mut DbConnection) -> AppResult<Self> {
        let now_s = now_ms() / 1000;
        diesel::delete(denied::table.filter(denied::expires_at.lt(now_s))).execute(conn)?;
        let rows: Vec<(String, i64)> = denied::table.load(conn)?;
        Ok(Self {
            entries: RwLock::new(rows.into_iter().collect()),
        })
    }

    /// Whether `id` (a `jti` or a sign-in) is on the list.
    pub fn contains(&self, id: &str) -> bool {
        self.entries.read().contains_key(id)
    }

    /// Every entry in the database that has not expired (a node repairing its copy).
    pub fn stored(conn: &mut DbConnection) -> AppResult<Vec<(String, i64)>> {
        let now_s = now_ms() / 1000;
        Ok(denied::table
            .filter(denied::expires_at.ge(now_s))
            .load(conn)?)
    }

    /// Whether an access token with this `jti` and sign-in is refused.
    pub fn is_denied(&self, jti: &str, sign_in: Option<&str>) -> bool {
        let entries = self.entries.read();
        entries.contains_key(jti) || sign_in.is_some_and(|sid| entries.contains_key(sid))
    }

    /// Records a `jti` or a sign-in in the database (inside the caller's transaction), until
    /// `expires_at_s`.
    pub fn persist(conn: &mut DbConnection, jti: &str, expires_at_s: i64) -> AppResult<()> {
        let exists: i64 = denied::table
            .filter(denied::jti.eq(jti))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            diesel::insert_into(denied::table)
                .values((denied::jti.eq(jti), denied::expires_at.eq(expires_at_s)))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Adds `jti` to memory, dropping entries that expired on their own.
    pub fn insert(&self, jti: String, expires_at_s: i64) {
        let now_s = now_ms() / 1000;
        let mut entries = self.entries.write();
        entries.retain(|_, exp| *exp >= now_s);
        entries.insert(jti, expires_at_s);
    }
}
