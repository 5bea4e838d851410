//! Preset mini-games (`games.md` § Presets): a game a streamer makes in a few clicks, built of
//! ordinary rules that stay editable. `gift_action` and `goal` are built; `vote`, `queue` and
//! `wheel` are listed and refused until they are.
//!
//! - `model`: the game as written, checked, turned into rules; the `presets` table.
//! - `routes`: list, make, remove.
//! - `pages`: the dashboard's page of games.

pub mod model;
pub mod pages;
pub mod routes;
