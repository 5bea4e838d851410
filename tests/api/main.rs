//! One integration binary: every file talks to the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod account;
mod agent_board;
mod agent_edge;
mod agents;
mod auth;
mod bad_input;
mod board;
mod browser;
mod dashboard;
mod device_modes;
mod fake_tiktok;
mod feed;
mod firmware;
mod games;
mod isolation;
mod live;
mod livestreams;
mod mqtt;
mod nodes;
mod operations;
mod overlay;
mod pairing;
mod permissions;
mod presets;
mod proxy;
mod redis_bus;
mod rules;
mod workspaces;
