//! `livectl agent pair`: asks the server for a pairing, shows its code and link, waits for an
//! owner or admin to approve it, and keeps the token it receives (sealed to a key only this
//! process holds) in `agent.toml`, created owner-only. Pairing the same device again replaces
//! its binding; another device adds one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;
use toml_edit::{ArrayOfTables, DocumentMut, Table, value};

use crate::agent::config::{self, AgentConfig};
use crate::pairing::seal::Opener;

/// A network hiccup while waiting is retried this often before giving up.
const POLL_RETRY: Duration = Duration::from_secs(2);
/// The longest a pairing can still deliver a token: the code's 10 minutes, then as long again.
const WAIT_AT_MOST: Duration = Duration::from_secs(20 * 60);

#[derive(Debug, Clone)]
pub struct PairOptions {
    pub server: String,
    pub serial: Option<String>,
    pub baud: u32,
    /// `agent.toml` to write (`~` expanded).
    pub config: PathBuf,
    pub insecure: bool,
}

#[derive(Debug, Deserialize)]
struct Started {
    id: String,
    code: String,
    secret: String,
    approve_path: String,
    poll_after_ms: u64,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
    device_id: Option<String>,
    device_name: Option<String>,
    sealed_token: Option<String>,
    release_key: Option<String>,
}

/// What pairing wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paired {
    pub device_id: String,
    pub device_name: String,
    pub config: PathBuf,
}

/// The computer's name, shown to the approver.
pub fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its whole length and gethostname writes at most
        // that many bytes.
        let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
        if ok {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "this computer".into())
}

/// The serial port to bind: the one given, else the only one this computer has.
pub fn choose_serial(given: Option<String>) -> anyhow::Result<String> {
    if let Some(port) = given {
        return Ok(port);
    }
    let ports = tokio_serial::available_ports().unwrap_or_default();
    match ports.as_slice() {
        [one] => Ok(one.port_name.clone()),
        [] => {
            anyhow::bail!("no serial port found: plug the board in, or name its port with --serial")
        }
        many => anyhow::bail!(
            "several serial ports: choose one with --serial ({})",
            many.iter()
                .map(|p| p.port_name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Pairs, printing the code and the link to `out`.
pub async fn pair(options: &PairOptions, out: &mut dyn std::io::Write) -> anyhow::Result<Paired> {
    let server = options.server.trim_end_matches('/').to_owned();
    config::socket_url(&server)?;
    anyhow::ensure!(
        options.insecure || !config::sends_token_in_clear(&server),
        "server {server:?} is plain http on another machine: the token would travel in clear. \
         Use https://, or --insecure on a network you trust"
    );
    let serial = choose_serial(options.serial.clone())?;
    let path = config::expand_home(&options.config.to_string_lossy());
    let existing = read_existing(&path, &server)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .build()?;
    let opener = Opener::new().context("no randomness for a key")?;
    let started: Started = client
        .post(format!("{server}/api/v1/agent/pairings"))
        .json(&serde_json::json!({
            "public_key": opener.public_key(),
            "hostname": hostname(),
            "platform": crate::release::this_platform(),
            "agent_version": env!("CARGO_PKG_VERSION"),
        }))
        .send()
        .await
        .with_context(|| format!("reaching {server}"))?
        .error_for_status()
        .context("the server refused to start a pairing")?
        .json()
        .await?;
    writeln!(
        out,
        "Pairing code: {}\nApprove it in the dashboard: {server}{}\n(Devices > Pair an agent; \
         the code works once, for 10 minutes.) Waiting…",
        started.code, started.approve_path
    )?;
    out.flush()?;
    let status = wait(&client, &server, &started).await?;
    let (Some(device_id), Some(sealed)) = (status.device_id, status.sealed_token) else {
        anyhow::bail!("the server approved the pairing without a token");
    };
    let token = opener
        .open(&sealed)
        .context("the token could not be opened with this pairing's key")?;
    let device_name = status.device_name.unwrap_or_else(|| device_id.clone());
    let text = with_binding(
        existing,
        &server,
        status.release_key.as_deref(),
        &device_id,
        &token,
        &serial,
        options.baud,
    )?;
    AgentConfig::from_toml(&text).context("the configuration pairing would write")?;
    write_config(&path, &text)?;
    writeln!(
        out,
        "Paired: device \"{device_name}\" ({device_id}) on {serial}. Token kept in {}.\n\
         Run it: livectl agent --config {0}   or as a service: livectl agent install --config {0}",
        path.display()
    )?;
    Ok(Paired {
        device_id,
        device_name,
        config: path,
    })
}

async fn wait(client: &reqwest::Client, server: &str, started: &Started) -> anyhow::Result<Status> {
    let every = Duration::from_millis(started.poll_after_ms.clamp(200, 10_000));
    // The code lives 10 minutes (and as long again once approved): a server gone for longer
    // than that cannot hand the token over any more.
    let give_up = tokio::time::Instant::now() + WAIT_AT_MOST;
    loop {
        tokio::time::sleep(every).await;
        anyhow::ensure!(
            tokio::time::Instant::now() < give_up,
            "the server stopped answering and the code has expired: run `livectl agent pair` again"
        );
        let answer = client
            .get(format!("{server}/api/v1/agent/pairings/{}", started.id))
            .bearer_auth(&started.secret)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(err) => {
                tracing::warn!(error = %err, "the server did not answer; still waiting");
                tokio::time::sleep(POLL_RETRY).await;
                continue;
            }
        };
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            anyhow::bail!(
                "the code expired before it was approved (10 minutes): run `livectl agent pair` again"
            );
        }
        if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
            || response.status().is_server_error()
        {
            tokio::time::sleep(POLL_RETRY).await;
            continue;
        }
        let status: Status = response.error_for_status()?.json().await?;
        match status.state.as_str() {
            "approved" => return Ok(status),
            "denied" => anyhow::bail!("the pairing was denied in the dashboard"),
            _ => {}
        }
    }
}

/// The configuration already at `path`, if any, checked to be for the same server.
fn read_existing(path: &Path, server: &str) -> anyhow::Result<Option<DocumentMut>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let doc: DocumentMut = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let theirs = doc
        .get("server")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .trim_end_matches('/');
    anyhow::ensure!(
        theirs.is_empty() || theirs == server,
        "{} is for another server ({theirs}): give another --config for {server}",
        path.display()
    );
    Ok(Some(doc))
}

/// The configuration with this device's binding added (or replaced: pairing a device again
/// gives it a new token). The release key is pinned the first time and never changed here.
fn with_binding(
    existing: Option<DocumentMut>,
    server: &str,
    release_key: Option<&str>,
    device_id: &str,
    token: &str,
    serial: &str,
    baud: u32,
) -> anyhow::Result<String> {
    let mut doc = match existing {
        Some(doc) => doc,
        None => {
            let mut doc = DocumentMut::new();
            doc.decor_mut().set_prefix(
                "# The livectl agent, written by `livectl agent pair` (config.md: Agent\n\
                 # configuration). Holds agent tokens: keep it readable by you only.\n",
            );
            doc
        }
    };
    doc["server"] = value(server);
    match (doc.get("release_key").and_then(|k| k.as_str()), release_key) {
        (None, Some(key)) => doc["release_key"] = value(key),
        (Some(pinned), Some(key)) if pinned != key => tracing::warn!(
            pinned,
            offered = key,
            "the server now signs with another release key; the pinned one is kept (updates \
             signed with the new key will be refused until you change release_key)"
        ),
        _ => {}
    }
    let bindings = doc
        .entry("binding")
        .or_insert_with(|| ArrayOfTables::new().into())
        .as_array_of_tables_mut()
        .context("`binding` in the configuration is not a list of [[binding]] tables")?;
    bindings.retain(|b| b.get("device_id").and_then(|d| d.as_str()) != Some(device_id));
    let mut binding = Table::new();
    binding["device_id"] = value(device_id);
    binding["token"] = value(token);
    binding["serial"] = value(serial);
    binding["baud"] = value(i64::from(baud));
    bindings.push(binding);
    Ok(doc.to_string())
}

/// Writes beside, then renames: an agent reading the file never sees half of it, and the
/// token is never readable by others, even for a moment.
fn write_config(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_private_dir(dir)?;
    }
    let partial = path.with_extension("toml.partial");
    let _ = std::fs::remove_file(&partial);
    crate::files::write_private(&partial, text.as_bytes(), false)?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_adds_or_replaces_a_devices_binding_and_pins_the_key_once() {
        let key = |_: u8| {
            crate::release::SigningKey::from_pem(&crate::release::SigningKey::generate().unwrap())
                .unwrap()
                .public()
                .text()
        };
        let (pinned, other) = (key(1), key(2));
        let first = with_binding(
            None,
            "https://live.example.com",
            Some(&pinned),
            "dev_a",
            "lat_1",
            "/dev/ttyACM0",
            115_200,
        )
        .unwrap();
        let doc: DocumentMut = first.parse().unwrap();
        let second = with_binding(
            Some(doc),
            "https://live.example.com",
            Some(&other),
            "dev_b",
            "lat_2",
            "/dev/ttyACM0",
            115_200,
        )
        .unwrap();
        let third = with_binding(
            Some(second.parse().unwrap()),
            "https://live.example.com",
            None,
            "dev_a",
            "lat_3",
            "/dev/ttyUSB1",
            9600,
        )
        .unwrap();
        assert!(third.starts_with("# The livectl agent"));
        assert!(third.contains(&format!("release_key = \"{pinned}\"")));
        assert!(!third.contains("lat_1"));
        assert_eq!(third.matches("[[binding]]").count(), 2);
        let config = AgentConfig::from_toml(&third).unwrap();
        assert_eq!(config.bindings[1].token, "lat_3");
        assert_eq!(config.bindings[1].device_id.as_deref(), Some("dev_a"));
    }
}
