//! livectl: TikTok LIVE events → rules → commands → boards.

pub mod agent;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod context;
pub mod control;
pub mod db;
pub mod devices;
pub mod error;
pub mod files;
pub mod http;
pub mod ids;
pub mod live;
pub mod mqtt;
pub mod protocol;
pub mod rules;
pub mod startup;
pub mod telemetry;
pub mod text;
pub mod web;
pub mod workspaces;
