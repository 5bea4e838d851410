//! Accounts and credentials: users, passwords, access and refresh tokens, API keys, and the
//! extractor that turns a request's credentials into a [`Caller`].

pub mod account;
pub mod account_pages;
pub mod api_key_pages;
pub mod api_keys;
pub mod caller;
pub mod denylist;
pub mod jwt;
pub mod limits;
pub mod pages;
pub mod password;
pub mod preferences;
pub mod rate_limit;
pub mod refresh;
pub mod routes;
pub mod secrets;
pub mod shared_limits;
pub mod users;

pub use caller::Caller;
