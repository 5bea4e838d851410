//! Devices, agent tokens, and the agent WebSocket endpoint.

pub mod hub;
pub mod model;
pub mod pages;
pub mod routes;
pub mod socket;
pub mod views;
