//! Preset mini-games (`games.md` § Presets): a game a streamer makes in a few clicks, built of
//! ordinary rules that stay editable, plus a little state.
//!
//! - `model`: the game as written, checked, turned into rules; the `presets` table.
//! - `role`: the part each of a game's rules plays (kept with the rule).
//! - `games`: the games' live state, which the rule engine keeps (`shared_games`: in Redis,
//!   for several nodes).
//! - `routes`: list, make, remove, and the live state.
//! - `pages`: the dashboard's page of games.

pub mod games;
pub mod model;
pub mod pages;
pub mod role;
pub mod routes;
pub mod shared_games;
