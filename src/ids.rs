//! Identifiers and clocks shared by every domain.
//!
//! Ids are `<prefix>_<ulid>` in lower case: opaque to clients, unique, and ordered by creation
//! time, which makes `before=` pagination a plain string comparison.

/// Type prefixes of `api.md`; a prefix never changes meaning.
pub mod prefix {
    pub const USER: &str = "usr";
    pub const WORKSPACE: &str = "ws";
    pub const LIVESTREAM: &str = "ls";
    pub const RULE: &str = "rule";
    pub const DEVICE: &str = "dev";
    pub const COMMAND: &str = "cmd";
    pub const EVENT: &str = "evt";
    pub const API_KEY: &str = "key";
    pub const REQUEST: &str = "req";
    pub const REFRESH_TOKEN: &str = "rt";
    pub const TOKEN_FAMILY: &str = "fam";
    pub const AGENT_TOKEN: &str = "at";
    pub const AUDIT: &str = "aud";
    pub const PAIRING: &str = "pair";
    pub const PRESET: &str = "game";
    pub const OVERLAY_TOKEN: &str = "ovt";
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Whether `id` looks like one of ours with this prefix (cheap rejection of junk path ids).
pub fn has_prefix(id: &str, prefix: &str) -> bool {
    id.len() <= 64
        && id
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
