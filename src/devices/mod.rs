//! Devices, agent tokens, and the agent WebSocket endpoint.

pub mod hub;
pub mod model;
pub mod routes;
pub mod socket;
