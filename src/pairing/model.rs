//! The `agent_pairings` table: a pairing is `pending` until an owner or admin approves or
//! denies its code, `approved` once its token is sealed for the agent, and `claimed` once the
//! agent has taken it. Codes and poll secrets are kept hashed.

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::agent_pairings;
use crate::error::{AppError, AppResult};

/// How long a code can be approved, and an approved token claimed.
pub const CODE_TTL_MS: i64 = 10 * 60_000;
/// No `0`/`O`, `1`/`I`/`L` or `U`: a code read aloud or off a small screen is typed right.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const CODE_LEN: usize = 8;

crate::text_enum! {
    pub enum PairingState {
        Pending => "pending",
        Approved => "approved",
        Denied => "denied",
        Claimed => "claimed",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agent_pairings)]
pub struct PairingRow {
    pub id: String,
    pub code_hash: String,
    pub secret_hash: String,
    /// The agent's X25519 key the token is sealed to.
    pub public_key: String,
    pub hostname: String,
    pub platform: String,
    pub agent_version: String,
    pub address: String,
    pub state: PairingState,
    pub workspace_id: Option<String>,
    pub device_id: Option<String>,
    pub sealed_token: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A pending pairing as the approver sees it: which computer asks, from where.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairingView {
    pub id: String,
    pub hostname: String,
    pub platform: String,
    pub agent_version: String,
    /// The address the agent asked from.
    pub address: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl PairingRow {
    pub fn view(&self) -> PairingView {
        PairingView {
            id: self.id.clone(),
            hostname: self.hostname.clone(),
            platform: self.platform.clone(),
            agent_version: self.agent_version.clone(),
            address: self.address.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// A fresh code, `ABCD-EFGH`.
pub fn new_code() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    let mut code = String::with_capacity(CODE_LEN + 1);
    for i in 0..CODE_LEN {
        if i == CODE_LEN / 2 {
            code.push('-');
        }
        code.push(char::from(
            CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())],
        ));
    }
    code
}

/// A code as typed (any case, spaces or dashes) in its stored form, or `None` if it cannot be
/// one.
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

fn digest(label: &str, value: &str) -> String {
    hex::encode(Sha256::digest(format!("{label}\0{value}")))
}

pub fn code_hash(normalised: &str) -> String {
    digest("pairing code", normalised)
}

pub fn secret_hash(secret: &str) -> String {
    digest("pairing secret", secret)
}

pub fn insert(conn: &mut DbConnection, row: &PairingRow, now: i64) -> AppResult<()> {
    // Old pairings go as new ones come: nothing else reads them.
    diesel::delete(agent_pairings::table.filter(agent_pairings::expires_at.lt(now - CODE_TTL_MS)))
        .execute(conn)?;
    diesel::insert_into(agent_pairings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

fn no_pending() -> AppError {
    AppError::NotFound(
        "no pending pairing has this code: codes work once and expire after 10 minutes \
         (run `livectl agent pair` again for a new one)"
            .into(),
    )
}

/// The pending pairing a typed code names.
pub fn pending(conn: &mut DbConnection, typed_code: &str, now: i64) -> AppResult<PairingRow> {
    let code = normalise_code(typed_code).ok_or_else(|| {
        AppError::invalid(
            "code",
            "a pairing code has 8 letters and digits, like ABCD-EF23",
        )
    })?;
    agent_pairings::table
        .filter(agent_pairings::code_hash.eq(code_hash(&code)))
        .filter(agent_pairings::state.eq(PairingState::Pending))
        .filter(agent_pairings::expires_at.gt(now))
        .select(PairingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(no_pending)
}

/// Moves a pending pairing on (to `approved` for `ws`, or `denied`); a pairing decided
/// meanwhile, or expired, is 404.
pub fn decide(
    conn: &mut DbConnection,
    id: &str,
    to: PairingState,
    ws: &str,
    user_id: &str,
    now: i64,
) -> AppResult<()> {
    let moved = diesel::update(
        agent_pairings::table
            .filter(agent_pairings::id.eq(id))
            .filter(agent_pairings::state.eq(PairingState::Pending))
            .filter(agent_pairings::expires_at.gt(now)),
    )
    .set((
        agent_pairings::state.eq(to),
        agent_pairings::workspace_id.eq(ws),
        agent_pairings::decided_by.eq(user_id),
        // The agent has as long again to take what was decided.
        agent_pairings::expires_at.eq(now + CODE_TTL_MS),
    ))
    .execute(conn)?;
    if moved == 0 {
        return Err(no_pending());
    }
    Ok(())
}

/// Back to pending: the approval failed before a token was sealed (a plan limit, a bad
/// device name), so the approver can correct it and try again.
pub fn reopen(conn: &mut DbConnection, id: &str) -> AppResult<()> {
    diesel::update(
        agent_pairings::table
            .filter(agent_pairings::id.eq(id))
            .filter(agent_pairings::sealed_token.is_null()),
    )
    .set((
        agent_pairings::state.eq(PairingState::Pending),
        agent_pairings::workspace_id.eq(None::<String>),
        agent_pairings::decided_by.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn store_token(
    conn: &mut DbConnection,
    id: &str,
    device_id: &str,
    sealed: &str,
) -> AppResult<()> {
    diesel::update(agent_pairings::table.filter(agent_pairings::id.eq(id)))
        .set((
            agent_pairings::device_id.eq(device_id),
            agent_pairings::sealed_token.eq(sealed),
        ))
        .execute(conn)?;
    Ok(())
}

/// The pairing `id` if `secret` is its poll secret and it has not expired.
pub fn polled(
    conn: &mut DbConnection,
    id: &str,
    secret: &str,
    now: i64,
) -> AppResult<Option<PairingRow>> {
    let row: Option<PairingRow> = agent_pairings::table
        .filter(agent_pairings::id.eq(id))
        .filter(agent_pairings::expires_at.gt(now))
        .select(PairingRow::as_select())
        .first(conn)
        .optional()?;
    let hash = secret_hash(secret);
    Ok(row.filter(|r| {
        use subtle::ConstantTimeEq as _;
        bool::from(r.secret_hash.as_bytes().ct_eq(hash.as_bytes()))
    }))
}

/// Hands the sealed token over once: the row forgets it as it is read.
pub fn claim(conn: &mut DbConnection, id: &str) -> AppResult<bool> {
    let moved = diesel::update(
        agent_pairings::table
            .filter(agent_pairings::id.eq(id))
            .filter(agent_pairings::state.eq(PairingState::Approved))
            .filter(agent_pairings::sealed_token.is_not_null()),
    )
    .set((
        agent_pairings::state.eq(PairingState::Claimed),
        agent_pairings::sealed_token.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(moved == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_however_they_are_typed() {
        for _ in 0..50 {
            let code = new_code();
            assert_eq!(code.len(), 9);
            let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
            assert_eq!(normalise_code(&typed), Some(code.replace('-', "")));
        }
        assert_eq!(normalise_code("ABCD-EFG"), None);
        assert_eq!(
            normalise_code("ABCD-EFG0"),
            None,
            "0 is not in the alphabet"
        );
    }
}
