//! The viewer overlay (`games.md` § The viewer overlay): a read-only page for an OBS browser
//! source, opened with a revocable overlay token instead of a login.
//!
//! - `routes`: the tokens (make, list, revoke).
//! - `page`: `/overlay/{token}` and its panel.
//! - `pages`: the dashboard's overlay page (its address, tokens made and revoked).
//! - `words`: a game's state in words.

pub mod page;
pub mod pages;
pub mod routes;
pub mod words;
