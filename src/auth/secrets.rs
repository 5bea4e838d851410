//! Opaque high-entropy secrets (refresh tokens, API keys, agent tokens). They are stored as
//! SHA-256 hashes: with 32 random bytes a fast hash is safe, and lookups stay one indexed query.

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// `bytes` random bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Random letters and digits only (API keys and agent tokens are pasted into shells and
/// config files, where `-` and `_` at the edges confuse people).
pub fn random_alphanumeric(len: usize) -> String {
    use rand::Rng as _;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
