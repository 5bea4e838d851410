//! The viewer overlay (`games.md` § The viewer overlay): a read-only page for an OBS browser
//! source, opened with a revocable overlay token instead of a login.
//!
//! - `routes`: the tokens (make, list, revoke).
//! - `page`: `/overlay/{token}` and its panel.

pub mod page;
pub mod routes;
