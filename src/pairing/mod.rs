//! `livectl agent pair`: an agent gets its token without anyone copying a secret. The agent
//! asks for a pairing and shows its short code; an owner or admin approves the code in the
//! dashboard (choosing a device or making one); the agent, polling, receives the token sealed
//! to a key only it holds, and keeps it in its `agent.toml`.
//!
//! - `model`: the `agent_pairings` table, codes and their hashes.
//! - `seal`: the token sealed to the agent's X25519 key (shared with the agent).
//! - `routes`: the API (`/agent/pairings`, `/workspaces/{ws}/pairings`).
//! - `pages`: the approval page of the dashboard.

pub mod model;
pub mod pages;
pub mod routes;
pub mod seal;
