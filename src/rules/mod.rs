//! Rules: the model and its validation, the compiled matcher, the rule-engine actor (the only
//! code that creates commands), and the API.

pub mod engine;
pub mod fair;
#[cfg(test)]
mod fixtures;
pub mod matcher;
pub mod model;
pub mod options;
pub mod pages;
pub mod reason;
pub mod routes;
pub mod shared_state;
pub mod state;
pub mod trace;
pub mod views;
