//! The command router, the kill switch, command history.

pub mod history;
pub mod lane;
pub mod pages;
pub mod record;
pub mod remote;
pub mod router;
pub mod routes;
pub mod shared_lane;
pub mod shared_rate;
pub mod why;
