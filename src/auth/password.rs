//! Passwords: bcrypt, always off the async workers.

use crate::error::{AppError, AppResult};

pub const MIN_BYTES: usize = 8;
/// bcrypt reads at most 72 bytes; longer passwords are refused, never silently truncated.
pub const MAX_BYTES: usize = 72;

/// A hash verified when the email is unknown, so that both answers take the same time. Made on
/// first use at the configured cost (making it at start would slow every start by a hash).
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn validate(password: &str) -> AppResult<()> {
    let len = password.len();
    if len < MIN_BYTES {
        return Err(AppError::invalid(
            "password",
            format!("must be at least {MIN_BYTES} bytes"),
        ));
    }
    if len > MAX_BYTES {
        return Err(AppError::invalid(
            "password",
            format!("must be at most {MAX_BYTES} bytes (bcrypt ignores anything longer)"),
        ));
    }
    Ok(())
}

pub async fn hash(password: String, cost: u32) -> AppResult<String> {
    validate(&password)?;
    actix_web::web::block(move || bcrypt::hash(password, cost))
        .await?
        .map_err(AppError::internal)
}

/// Blocking variant for the command line.
pub fn hash_blocking(password: &str, cost: u32) -> AppResult<String> {
    validate(password)?;
    bcrypt::hash(password, cost).map_err(AppError::internal)
}

/// Checks `password` against `stored` (or against a dummy hash when there is no account).
/// A malformed stored hash counts as a mismatch.
pub async fn verify(password: String, stored: Option<String>, cost: u32) -> AppResult<bool> {
    let exists = stored.is_some();
    let too_long = password.len() > MAX_BYTES;
    let matched = actix_web::web::block(move || {
        let hash = match stored {
            Some(hash) => hash,
            None => DUMMY_HASH
                .get_or_init(|| bcrypt::hash("livectl-timing-dummy", cost).unwrap_or_default())
                .clone(),
        };
        bcrypt::verify(password, &hash).unwrap_or(false)
    })
    .await?;
    Ok(exists && matched && !too_long)
}
