//! The dashboard in a real browser: Debian's Chromium driven through chromedriver (W3C
//! WebDriver) by fantoccini, against the real server. Nothing is downloaded at run time:
//! `scripts/test` installs `chromium` and `chromium-driver`, and a missing driver fails the
//! test (a browser test that skips is a hidden failure).
//!
//! Every test saves screenshots under `target/browser-shots/` and fails on any console error
//! (a CSP violation, a script error, a missing file).

mod account;
mod audit;
mod commands;
mod devices;
mod harness;
mod journey;
mod kill_switch;
mod languages;
mod members;
mod overlay;
mod owner_pages;
mod pages;
mod pairing;
mod presets;
mod session;
mod usage;

pub use harness::*;
