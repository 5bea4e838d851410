//! Passwords: bcrypt, always off the async workers.

use crate::error::{AppError, AppResult};

pub const MIN_BYTES: usize = 8;
/// bcrypt reads at most 72 bytes; longer passwords are refused, never silently truncated.
pub const MAX_BYTES: usize = 72;

/// A hash verified when the email is unknown, so that both answers take the same time. Made on
/// first use at the configured cost (making it at start would slow every start by a hash).
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn validate(password: &str) -> AppResult<()> {
    if password.contains('\0') {
        return Err(AppError::invalid(
            "password",
            "must not contain a NUL character",
        ));
    }
    if password.trim().is_empty() && !password.is_empty() {
        return Err(AppError::invalid("password", "must not be only spaces"));
    }
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

/// At most this many bcrypt runs at once: a burst of sign-ups or logins cannot take every
/// blocking thread (each run is ~250 ms of one core at cost 12).
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from) * 2)
});

pub async fn hash(password: String, cost: u32) -> AppResult<String> {
    validate(&password)?;
    let _permit = HASHING.acquire().await.map_err(AppError::internal)?;
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
    let _permit = HASHING.acquire().await.map_err(AppError::internal)?;
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
