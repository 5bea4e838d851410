//! TikTok LIVE: the webcast client, normalised events, one actor per livestream.

pub mod client;
pub mod credentials;
pub mod decode;
pub mod gifts;
pub mod health;

/// Messages generated from `proto/webcast.proto`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/webcast.rs"));
}
pub mod actor;
pub mod lease;
pub mod model;
pub mod pages;
pub mod probe;
pub mod registry;
pub mod routes;
pub mod saver;
pub mod source;
pub mod super_fan;
pub mod views;
