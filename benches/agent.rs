//! The agent a streamer installs (issue "The edge agent a streamer installs in one minute").
//! Run with `cargo bench --bench agent` (a release build: the installer and the updates move
//! the real ~40 MB binary). Prints, over `RUNS` runs each:
//!   - `install.sh` → the first command at the board emulator: the script downloads and
//!     checks the build, pairs (the approval is sent the moment the code shows), the installed
//!     agent starts, and a command is acked `done` by the board;
//!   - an update: from the agent's start to it running the new signed build, connected again
//!     (download, hash and signature check, trial run, swap, restart, hello).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/agent_edge.rs"]
#[allow(dead_code, unused_imports)]
mod agent_edge;
#[path = "../tests/api/agents.rs"]
#[allow(dead_code, unused_imports)]
mod agents;
#[path = "../tests/api/board.rs"]
#[allow(dead_code)]
mod board;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../tests/api/mqtt.rs"]
#[allow(dead_code, unused_imports)]
mod mqtt;

use std::time::{Duration, Instant};

use agent_edge::{NEW_VERSION, key, rig, sign_build, stop};

const RUNS: usize = 5;

fn report(label: &str, mut runs: Vec<Duration>) {
    runs.sort();
    println!(
        "{label}: median {} ms, best {} ms, worst {} ms ({} runs)",
        runs[runs.len() / 2].as_millis(),
        runs[0].as_millis(),
        runs[runs.len() - 1].as_millis(),
        runs.len()
    );
}

async fn install_once() -> (Duration, Duration) {
    let mut r = rig("").await;
    let key = key();
    sign_build(r.releases.path(), &key, env!("CARGO_PKG_VERSION"), "");
    let installed = agent_edge::install_to_first_command(&mut r, &key).await;
    (installed.code_shown, installed.first_command)
}

async fn update_once() -> Duration {
    let r = rig(NEW_VERSION).await;
    let key = key();
    sign_build(r.releases.path(), &key, NEW_VERSION, "\nbench build\n");
    let exe = agent_edge::binary_in(r.dir.path());
    let config = r.agent_toml(&r.app.address, &key.public().text(), 60);
    let started = Instant::now();
    let child = r.spawn(&exe, &config);
    r.update_state("updated", |s| s.starts_with("updated from"))
        .await;
    let took = started.elapsed();
    stop(child);
    took
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(async {
        let (mut codes, mut installs, mut updates) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let (code, first) = install_once().await;
            codes.push(code);
            installs.push(first);
            updates.push(update_once().await);
        }
        report(
            "install.sh → the pairing code shown (download and signature checked)",
            codes,
        );
        report(
            "install.sh → first command at the board (approved at once)",
            installs,
        );
        report(
            "update: start → running the new signed build, connected",
            updates,
        );
    });
}
