//! The boundaries ARCHITECTURE.md promises, checked on the source text so that a change that
//! crosses one fails here with the file that did it:
//! - no domain imports the composition root (`startup`); they share `context::AppState`;
//! - the in-memory safety state (the router's devices, plans and kill switches) changes only
//!   through the control plane (`src/control/`), or at start-up before any request;
//! - `protocol` and `agent` (shipped to streamers' machines) use neither the database nor the
//!   HTTP server, and `agent` uses only `protocol`, `ids`, `files`, the release signatures
//!   (`release/mod.rs`), the pairing seal (`pairing/seal.rs`) and itself: those two files are
//!   held to the same rule. The agent's own status page is an actix-web server of its own, on
//!   loopback (`agent/status_page.rs` alone may use `actix_web`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// The code of a file before its unit tests.
fn non_test(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

#[test]
fn no_domain_imports_the_composition_root() {
    let offenders: Vec<String> = sources(&src())
        .iter()
        .filter(|(path, text)| {
            let file = relative(path);
            file != "startup.rs" && file != "main.rs" && text.contains("crate::startup")
        })
        .map(|(path, _)| relative(path))
        .collect();
    assert!(
        offenders.is_empty(),
        "import crate::context instead: {offenders:?}"
    );
}

#[test]
fn safety_state_changes_only_through_the_control_plane() {
    const MUTATORS: [&str; 5] = [
        ".upsert_device(",
        ".remove_device(",
        ".remove_workspace(",
        ".set_plan(",
        ".set_kill(",
    ];
    let allowed = |file: &str| {
        file.starts_with("control/") || file == "startup.rs" || file == "commands/router.rs"
    };
    let mut offenders = Vec::new();
    for (path, text) in sources(&src()) {
        let file = relative(&path);
        if allowed(&file) {
            continue;
        }
        for mutator in MUTATORS {
            if non_test(&text).contains(mutator) {
                offenders.push(format!("{file}: {mutator}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "emit a ControlEvent instead of changing the router's state: {offenders:?}"
    );
}

#[test]
fn the_agent_and_the_protocol_stay_free_of_the_server() {
    let mut offenders = Vec::new();
    let mut shipped: Vec<(&str, (PathBuf, String))> = Vec::new();
    for module in ["agent", "protocol"] {
        shipped.extend(
            sources(&src().join(module))
                .into_iter()
                .map(|f| (module, f)),
        );
    }
    for file in ["release/mod.rs", "pairing/seal.rs"] {
        let path = src().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        shipped.push(("agent", (path, text)));
    }
    for (module, (path, text)) in shipped {
        let code = non_test(&text);
        for forbidden in [
            "diesel",
            "actix_web",
            "crate::db",
            "crate::context",
            "rumqttd",
        ] {
            let status_page = relative(&path) == "agent/status_page.rs";
            if code.contains(forbidden) && !(status_page && forbidden == "actix_web") {
                offenders.push(format!("{}: {forbidden}", relative(&path)));
            }
        }
        if module == "agent" {
            for import in code.match_indices("crate::").map(|(at, _)| &code[at + 7..]) {
                let path_used: String = import
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let allowed = ["agent", "protocol", "ids", "files"]
                    .iter()
                    .any(|m| path_used == *m || path_used.starts_with(&format!("{m}::")))
                    || path_used == "pairing::seal"
                    || path_used.starts_with("pairing::seal::")
                    || (path_used.starts_with("release")
                        && !path_used.starts_with("release::folder")
                        && !path_used.starts_with("release::routes"));
                if !allowed {
                    offenders.push(format!("{}: crate::{path_used}", relative(&path)));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}
