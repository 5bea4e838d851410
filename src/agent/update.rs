//! Auto-update. The hello offers the build the server recommends for this platform; when its
//! hash differs from this executable's, the agent downloads it, checks the hash and the
//! ed25519 signature against the release key pinned in `agent.toml` at pairing, runs it once
//! (`livectl version`), swaps the files (this build kept as `livectl.previous`) and restarts
//! into it. The new build is on trial: if it does not reach the server within
//! `update_confirm_s` (or stops before), it puts the previous build back, restarts into it,
//! and that build never tries the refused one again. What happened is kept in `update.json`
//! beside `agent.toml`, and said to the server (the dashboard shows it).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::watch;

use crate::agent::config::AgentConfig;
use crate::protocol::UpdateOffer;
use crate::release::{PublicKey, sha256_of_file, this_platform};

const STATE_FILE: &str = "update.json";
/// How long the new build may take to print its version.
const SMOKE_TEST: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    #[default]
    None,
    Trial,
    Confirmed,
    RolledBack,
}

/// `update.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Record {
    phase: Phase,
    from_version: String,
    to_version: String,
    to_sha256: String,
    previous: Option<PathBuf>,
    /// How many times a build on trial started: a second start means the first one died.
    trial_starts: u32,
    reason: Option<String>,
    /// Builds (by hash) never to try again.
    refused: Vec<String>,
}

pub struct Updater {
    enabled: bool,
    key: Option<PublicKey>,
    server: String,
    /// This executable, as it was started (renames move the running file, not this path).
    exe: PathBuf,
    own_sha256: String,
    state_file: PathBuf,
    confirm_within: Duration,
    record: Mutex<Record>,
    state: watch::Sender<String>,
    busy: AtomicBool,
    restart: watch::Sender<bool>,
    confirmed: AtomicBool,
}

impl Updater {
    /// An updater that never updates (the library's own users: tests, embedders).
    pub fn off() -> Arc<Updater> {
        Arc::new(Updater {
            enabled: false,
            key: None,
            server: String::new(),
            exe: PathBuf::new(),
            own_sha256: String::new(),
            state_file: PathBuf::new(),
            confirm_within: Duration::ZERO,
            record: Mutex::new(Record::default()),
            state: watch::channel("updates off".to_owned()).0,
            busy: AtomicBool::new(false),
            restart: watch::channel(false).0,
            confirmed: AtomicBool::new(true),
        })
    }

    /// The updater of the `livectl agent` process. A build on trial that already started once
    /// (and so died before reaching the server) is rolled back here: the caller then
    /// restarts into the executable.
    pub fn start(config: &AgentConfig) -> anyhow::Result<Arc<Updater>> {
        let exe = std::env::current_exe().context("finding this executable")?;
        let key = config
            .release_key
            .as_deref()
            .map(PublicKey::parse)
            .transpose()?;
        let named_livectl = exe
            .file_stem()
            .is_some_and(|s| s.to_string_lossy() == "livectl");
        let enabled = config.auto_update && key.is_some() && named_livectl;
        let own_sha256 = if enabled {
            sha256_of_file(&exe)?
        } else {
            String::new()
        };
        let dir = match &config.file {
            Some(file) => file.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => crate::agent::config::expand_home("~/.livectl"),
        };
        let state_file = dir.join(STATE_FILE);
        let record: Record = std::fs::read(&state_file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let initial = if !config.auto_update {
            "updates off (auto_update = false)".to_owned()
        } else if key.is_none() {
            "updates off: no release key pinned (pair again, or set release_key)".to_owned()
        } else if !named_livectl {
            "updates off: this executable is not named livectl".to_owned()
        } else {
            describe(&record, &own_sha256)
        };
        let updater = Arc::new(Updater {
            enabled,
            key,
            server: config.server.trim_end_matches('/').to_owned(),
            exe,
            own_sha256,
            state_file,
            confirm_within: config.update_confirm,
            record: Mutex::new(record),
            state: watch::channel(initial).0,
            busy: AtomicBool::new(false),
            restart: watch::channel(false).0,
            confirmed: AtomicBool::new(true),
        });
        updater.begin_trial_if_new()?;
        Ok(updater)
    }

    fn begin_trial_if_new(&self) -> anyhow::Result<()> {
        let mut record = self.record.lock();
        if record.phase != Phase::Trial || !self.enabled {
            return Ok(());
        }
        if record.to_sha256 != self.own_sha256 {
            // Replaced by hand, or this is the previous build after a rollback.
            record.phase = Phase::None;
            return self.save(&record);
        }
        record.trial_starts += 1;
        if record.trial_starts > 1 {
            drop(record);
            return self.roll_back("the new build stopped before it reached the server");
        }
        self.save(&record)?;
        drop(record);
        self.confirmed.store(false, Ordering::SeqCst);
        tracing::info!(
            within_s = self.confirm_within.as_secs(),
            "this build is on trial: it must reach the server in time or the previous one comes back"
        );
        Ok(())
    }

    /// The trial's clock: call once the agent runs. Rolls back when nothing confirmed in time.
    pub async fn watch_trial(self: Arc<Self>) {
        if self.confirmed.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(self.confirm_within).await;
        if !self.confirmed.load(Ordering::SeqCst) {
            let why = format!(
                "it could not reach the server within {} s",
                self.confirm_within.as_secs()
            );
            if let Err(err) = self.roll_back(&why) {
                tracing::error!(error = %err, "the rollback failed");
            }
        }
    }

    /// What the agent says of its updates (sent to the server on change).
    pub fn state(&self) -> watch::Receiver<String> {
        self.state.subscribe()
    }

    /// Becomes true when the agent should restart into its executable.
    pub fn restart_wanted(&self) -> watch::Receiver<bool> {
        self.restart.subscribe()
    }

    pub fn executable(&self) -> &Path {
        &self.exe
    }

    /// A binding said hello: this build reaches the server.
    pub fn connected(&self) {
        if self.confirmed.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut record = self.record.lock();
        record.phase = Phase::Confirmed;
        if let Err(err) = self.save(&record) {
            tracing::warn!(error = %err, "could not record the confirmed update");
        }
        tracing::info!(from = %record.from_version, to = %record.to_version, "the new build reached the server: update confirmed");
        self.state.send_replace(describe(&record, &self.own_sha256));
    }

    /// The hello's offer: switches to it when it is another build, signed, not refused before.
    pub fn offered(self: &Arc<Self>, offer: Option<UpdateOffer>) {
        let Some(offer) = offer else { return };
        if !self.enabled || offer.platform != this_platform() {
            return;
        }
        if offer.sha256 == self.own_sha256 {
            let record = self.record.lock();
            self.state.send_replace(describe(&record, &self.own_sha256));
            return;
        }
        if self.record.lock().refused.contains(&offer.sha256) {
            return;
        }
        if !self.confirmed.load(Ordering::SeqCst) || self.busy.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let version = offer.version.clone();
            me.state.send_replace(format!("updating to {version}"));
            match me.switch_to(&offer).await {
                Ok(()) => {
                    me.state.send_replace(format!("restarting into {version}"));
                    me.restart.send_replace(true);
                }
                Err(err) => {
                    tracing::warn!(version = %version, error = %format!("{err:#}"), "update failed");
                    me.state
                        .send_replace(format!("update to {version} failed: {err:#}"));
                    me.busy.store(false, Ordering::SeqCst);
                }
            }
        });
    }

    async fn switch_to(&self, offer: &UpdateOffer) -> anyhow::Result<()> {
        let key = self.key.as_ref().context("no release key")?;
        let dir = self.exe.parent().context("the executable has no folder")?;
        let download = dir.join(".livectl.download");
        let sha256 = self.download(offer, &download).await?;
        anyhow::ensure!(
            sha256 == offer.sha256,
            "the download's hash is not the one offered"
        );
        use base64::Engine as _;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&offer.signature)
            .unwrap_or_default();
        if !key.verify(&offer.version, &offer.platform, &sha256, &signature) {
            let _ = std::fs::remove_file(&download);
            let mut record = self.record.lock();
            record.refused.push(sha256);
            let _ = self.save(&record);
            anyhow::bail!("its signature does not match the pinned release key: refused");
        }
        crate::files::restrict(&download, 0o755)?;
        smoke_test(&download).await?;
        let previous = dir.join(if cfg!(windows) {
            "livectl.previous.exe"
        } else {
            "livectl.previous"
        });
        let _ = std::fs::remove_file(&previous);
        std::fs::rename(&self.exe, &previous).context("keeping this build as the previous one")?;
        if let Err(err) = std::fs::rename(&download, &self.exe) {
            let _ = std::fs::rename(&previous, &self.exe);
            return Err(err).context("putting the new build in place");
        }
        let mut record = self.record.lock();
        *record = Record {
            phase: Phase::Trial,
            from_version: env!("CARGO_PKG_VERSION").to_owned(),
            to_version: offer.version.clone(),
            to_sha256: offer.sha256.clone(),
            previous: Some(previous),
            trial_starts: 0,
            reason: None,
            refused: std::mem::take(&mut record.refused),
        };
        self.save(&record)?;
        tracing::warn!(version = %offer.version, "the new build is in place: restarting into it");
        Ok(())
    }

    async fn download(&self, offer: &UpdateOffer, to: &Path) -> anyhow::Result<String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        let mut response = client
            .get(format!("{}{}", self.server, offer.path))
            .send()
            .await?
            .error_for_status()?;
        let mut file = tokio::fs::File::create(to).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = response.chunk().await? {
            size += chunk.len() as u64;
            anyhow::ensure!(size <= offer.size, "the download is larger than offered");
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        Ok(hex::encode(hasher.finalize()))
    }

    /// Puts the previous build back, remembers this one as refused, and asks for a restart.
    fn roll_back(&self, why: &str) -> anyhow::Result<()> {
        let mut record = self.record.lock();
        let previous = record
            .previous
            .clone()
            .context("no previous build to go back to")?;
        tracing::error!(from = %record.to_version, back_to = %record.from_version, reason = why, "rolling back the update");
        let failed = self.exe.with_file_name(if cfg!(windows) {
            "livectl.failed.exe"
        } else {
            "livectl.failed"
        });
        let _ = std::fs::remove_file(&failed);
        std::fs::rename(&self.exe, &failed).context("moving the new build aside")?;
        std::fs::rename(&previous, &self.exe).context("putting the previous build back")?;
        record.phase = Phase::RolledBack;
        record.reason = Some(why.to_owned());
        let refused = record.to_sha256.clone();
        record.refused.push(refused);
        self.save(&record)?;
        self.state.send_replace(describe(&record, ""));
        self.restart.send_replace(true);
        Ok(())
    }

    fn save(&self, record: &Record) -> anyhow::Result<()> {
        if let Some(dir) = self.state_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = self.state_file.with_extension("json.partial");
        std::fs::write(&partial, serde_json::to_vec_pretty(record)?)?;
        std::fs::rename(&partial, &self.state_file)?;
        Ok(())
    }
}

fn describe(record: &Record, own_sha256: &str) -> String {
    match record.phase {
        Phase::RolledBack => format!(
            "rolled back from {}: {}",
            record.to_version,
            record.reason.as_deref().unwrap_or("it failed")
        ),
        Phase::Confirmed if record.to_sha256 == own_sha256 => format!(
            "updated from {} to {}",
            record.from_version, record.to_version
        ),
        Phase::Trial => format!("trying {}", record.to_version),
        _ => format!("up to date ({})", env!("CARGO_PKG_VERSION")),
    }
}

/// The new build must at least run here and say it is livectl.
async fn smoke_test(path: &Path) -> anyhow::Result<()> {
    let run = tokio::process::Command::new(path)
        .arg("version")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(SMOKE_TEST, run)
        .await
        .context("the new build did not answer `version` in time")?
        .context("the new build does not run on this computer")?;
    anyhow::ensure!(
        output.status.success() && output.stdout.starts_with(b"livectl "),
        "the new build's `version` failed"
    );
    Ok(())
}

/// Marks every descriptor beyond stdio close-on-exec: a serial port left open (and locked
/// with TIOCEXCL) would keep the new build from opening it, and sockets would leak.
#[cfg(unix)]
fn close_on_exec() {
    let dir = if Path::new("/proc/self/fd").exists() {
        "/proc/self/fd"
    } else {
        "/dev/fd"
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let fds: Vec<i32> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: fcntl on a descriptor number only changes its flags; one that was closed
        // meanwhile (the directory's own) answers EBADF, which is ignored.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

/// Replaces this process with `exe`, same arguments (Unix); elsewhere starts it and returns.
pub fn restart_into(exe: &Path) -> anyhow::Result<()> {
    let mut command = std::process::Command::new(exe);
    command.args(std::env::args_os().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        close_on_exec();
        let err = command.exec();
        Err(err).with_context(|| format!("restarting into {}", exe.display()))
    }
    #[cfg(not(unix))]
    {
        command
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        Ok(())
    }
}
