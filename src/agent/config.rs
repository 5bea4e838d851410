//! What an agent runs: its bindings (token + serial port), the server, the kill file and the
//! safe-stop delay, from flags or from `agent.toml` (`config.md` § Agent configuration).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

pub const DEFAULT_BAUD: u32 = 115_200;
pub const DEFAULT_SAFE_STOP_S: u64 = 5;
pub const DEFAULT_KILL_FILE: &str = "~/.livectl/KILL";
/// Where `pair` writes and `install` reads the configuration.
pub const DEFAULT_CONFIG_FILE: &str = "~/.livectl/agent.toml";
pub const DEFAULT_STATUS_ADDR: &str = "127.0.0.1:8790";
/// How long a new build has to reach the server before it rolls itself back.
pub const DEFAULT_UPDATE_CONFIRM_S: u64 = 60;

/// One token bound to one serial port. Two bindings may name the same port: they share the
/// board (seed 003), each with its own workspace, limits and server socket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The device this token belongs to, as pairing wrote it: a hello for another device is
    /// refused. Unset: whatever device the token names.
    pub device_id: Option<String>,
    pub token: String,
    pub serial: String,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Local limits: the server's hello can narrow these, never widen them. Unset: the
    /// server decides, within [`crate::agent::guard::MAX_DURATION_MS`].
    pub allowed_commands: Option<Vec<String>>,
    pub max_duration_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// `http(s)://host[:port]`; the socket is `ws(s)://host[:port]/ws/agent`.
    pub server: String,
    /// Present = local kill switch engaged.
    pub kill_file: PathBuf,
    /// STOP every board when the server has been unreachable this long.
    pub safe_stop_after: Duration,
    pub bindings: Vec<Binding>,
    /// Allow a plain `http://` server that is not on this machine (the token travels in clear).
    pub insecure: bool,
    /// The local status page with STOP (loopback only); `None` = off.
    pub status_addr: Option<std::net::SocketAddr>,
    /// Download, verify and switch to the build the server recommends.
    pub auto_update: bool,
    /// The release key builds must be signed with (`ed25519:` + base64), pinned at pairing.
    pub release_key: Option<String>,
    /// How long a new build has to reach the server before it rolls itself back.
    pub update_confirm: Duration,
    /// Where this configuration was read from (`pair` appends to it; updates keep their state
    /// beside it).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    server: String,
    kill_file: Option<String>,
    safe_stop_after_s: Option<u64>,
    #[serde(default)]
    insecure: bool,
    status_addr: Option<String>,
    auto_update: Option<bool>,
    release_key: Option<String>,
    update_confirm_s: Option<u64>,
    #[serde(default)]
    binding: Vec<Binding>,
}

impl Binding {
    /// A binding at the default baud rate, with no local limits beyond the agent's own.
    pub fn new(token: impl Into<String>, serial: impl Into<String>) -> Self {
        Binding {
            device_id: None,
            token: token.into(),
            serial: serial.into(),
            baud: DEFAULT_BAUD,
            allowed_commands: None,
            max_duration_ms: None,
        }
    }
}

fn default_baud() -> u32 {
    DEFAULT_BAUD
}

fn default_status_addr() -> Option<std::net::SocketAddr> {
    DEFAULT_STATUS_ADDR.parse().ok()
}

/// The status page listens on this machine only: it has a STOP and no sign-in.
fn parse_status_addr(addr: &str) -> anyhow::Result<std::net::SocketAddr> {
    let parsed: std::net::SocketAddr = addr
        .parse()
        .with_context(|| format!("status_addr {addr:?} is not an address like 127.0.0.1:8790"))?;
    anyhow::ensure!(
        parsed.ip().is_loopback(),
        "status_addr {addr:?} must be a loopback address (127.0.0.1 or [::1]): the page has a \
         STOP and no sign-in"
    );
    Ok(parsed)
}

/// `LED_ON, relay_on` → `["LED_ON", "RELAY_ON"]`: commas or spaces separate, case does not
/// matter (the server's device form reads them the same way).
pub fn command_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `~/…` → the home folder.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// What `livectl agent` was given on its command line (plain values: the agent does not
/// depend on the command-line parser).
#[derive(Debug, Clone, Default)]
pub struct AgentOptions {
    pub config: Option<PathBuf>,
    pub server: Option<String>,
    pub token: Option<String>,
    pub serial: Option<String>,
    pub baud: u32,
    pub kill_file: Option<PathBuf>,
    pub safe_stop_after_s: Option<u64>,
    pub insecure: bool,
    /// `--allowed-commands LED_ON,RELAY_ON` (single binding).
    pub allowed_commands: Option<String>,
    pub max_duration_ms: Option<i64>,
    /// `--status-addr`; `""` turns the page off.
    pub status_addr: Option<String>,
    pub no_auto_update: bool,
}

impl AgentConfig {
    /// A `--config` path with `~` expanded (clap keeps it as typed).
    pub fn expanded(path: &Path) -> PathBuf {
        expand_home(&path.to_string_lossy())
    }

    /// Reads `agent.toml`.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let file: FileConfig = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?;
        let status_addr = match file.status_addr.as_deref() {
            None => default_status_addr(),
            Some("") => None,
            Some(addr) => Some(parse_status_addr(addr)?),
        };
        let config = AgentConfig {
            kill_file: expand_home(file.kill_file.as_deref().unwrap_or(DEFAULT_KILL_FILE)),
            safe_stop_after: Duration::from_secs(
                file.safe_stop_after_s.unwrap_or(DEFAULT_SAFE_STOP_S),
            ),
            insecure: file.insecure,
            status_addr,
            auto_update: file.auto_update.unwrap_or(true),
            release_key: file.release_key.filter(|k| !k.is_empty()),
            update_confirm: Duration::from_secs(
                file.update_confirm_s.unwrap_or(DEFAULT_UPDATE_CONFIRM_S),
            ),
            ..AgentConfig::new(file.server, file.binding)
        };
        config.validate()?;
        Ok(config)
    }

    /// A configuration with every default: the kill file in `~/.livectl`, a 5 s safe stop,
    /// the status page on 127.0.0.1:8790, updates on (once a release key is pinned).
    pub fn new(server: impl Into<String>, bindings: Vec<Binding>) -> Self {
        AgentConfig {
            server: server.into(),
            kill_file: expand_home(DEFAULT_KILL_FILE),
            safe_stop_after: Duration::from_secs(DEFAULT_SAFE_STOP_S),
            bindings,
            insecure: false,
            status_addr: default_status_addr(),
            auto_update: true,
            release_key: None,
            update_confirm: Duration::from_secs(DEFAULT_UPDATE_CONFIRM_S),
            file: None,
        }
    }

    /// From `livectl agent` flags: `--config agent.toml`, or one binding from `--server`,
    /// `--token` and `--serial`; the other flags override either.
    pub fn from_options(args: &AgentOptions) -> anyhow::Result<Self> {
        let mut config = match &args.config {
            Some(file) => {
                let mut config = AgentConfig::from_file(file)?;
                config.file = Some(file.clone());
                anyhow::ensure!(
                    args.allowed_commands.is_none() && args.max_duration_ms.is_none(),
                    "--allowed-commands and --max-duration-ms are for a single binding: with \
                     --config, set them per [[binding]] in {}",
                    file.display()
                );
                config
            }
            None => {
                let (Some(server), Some(token), Some(serial)) =
                    (args.server.clone(), args.token.clone(), args.serial.clone())
                else {
                    anyhow::bail!(
                        "give --server, --token and --serial (one binding), or --config agent.toml \
                         (`livectl agent pair` writes one)"
                    );
                };
                let binding = Binding {
                    baud: args.baud,
                    allowed_commands: args.allowed_commands.as_deref().map(command_list),
                    max_duration_ms: args.max_duration_ms,
                    ..Binding::new(token, serial)
                };
                AgentConfig::new(server, vec![binding])
            }
        };
        if let Some(path) = &args.kill_file {
            config.kill_file = path.clone();
        }
        if let Some(s) = args.safe_stop_after_s {
            config.safe_stop_after = Duration::from_secs(s);
        }
        if let Some(addr) = &args.status_addr {
            config.status_addr = match addr.as_str() {
                "" => None,
                addr => Some(parse_status_addr(addr)?),
            };
        }
        config.insecure |= args.insecure;
        config.auto_update &= !args.no_auto_update;
        config.validate()?;
        Ok(config)
    }

    /// The kill file `livectl agent stop-all` creates: the flag, else the one in agent.toml,
    /// else the default.
    pub fn kill_file_of(
        config: Option<&Path>,
        kill_file: Option<PathBuf>,
    ) -> anyhow::Result<PathBuf> {
        Ok(match (kill_file, config) {
            (Some(path), _) => path,
            (None, Some(file)) => AgentConfig::from_file(file)?.kill_file,
            (None, None) => expand_home(DEFAULT_KILL_FILE),
        })
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        socket_url(&self.server)?;
        anyhow::ensure!(
            self.insecure || !sends_token_in_clear(&self.server),
            "server {:?} is plain http on another machine: the agent token would travel in \
             clear. Use https://, or set insecure = true (--insecure) on a network you trust",
            self.server
        );
        anyhow::ensure!(
            !self.bindings.is_empty(),
            "no binding: give --token and --serial, or [[binding]] entries in agent.toml"
        );
        for (i, b) in self.bindings.iter().enumerate() {
            anyhow::ensure!(
                b.token.starts_with("lat_"),
                "binding {}: the token must be an agent token (lat_…)",
                i + 1
            );
            anyhow::ensure!(!b.serial.is_empty(), "binding {}: no serial port", i + 1);
            anyhow::ensure!(b.baud > 0, "binding {}: baud must be positive", i + 1);
            if let Some(commands) = &b.allowed_commands {
                anyhow::ensure!(
                    !commands.is_empty(),
                    "binding {}: allowed_commands is empty: every command would be refused",
                    i + 1
                );
            }
            if let Some(max) = b.max_duration_ms {
                anyhow::ensure!(
                    (0..=crate::agent::guard::MAX_DURATION_MS).contains(&max),
                    "binding {}: max_duration_ms must be 0 to {}",
                    i + 1,
                    crate::agent::guard::MAX_DURATION_MS
                );
            }
        }
        for (i, a) in self.bindings.iter().enumerate() {
            for b in &self.bindings[i + 1..] {
                anyhow::ensure!(
                    a.serial != b.serial || a.baud == b.baud,
                    "{} is bound twice with different baud rates",
                    a.serial
                );
                anyhow::ensure!(a.token != b.token, "the same token is bound twice");
            }
        }
        anyhow::ensure!(
            self.safe_stop_after > Duration::ZERO,
            "safe_stop_after_s must be at least 1"
        );
        if let Some(key) = &self.release_key {
            crate::release::PublicKey::parse(key).context("release_key")?;
        }
        Ok(())
    }
}

/// Whether `server` is plain http(s)/ws on a host other than this machine.
pub fn sends_token_in_clear(server: &str) -> bool {
    let Some(rest) = server
        .strip_prefix("http://")
        .or_else(|| server.strip_prefix("ws://"))
    else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// The agent socket's URL for a server address.
pub fn socket_url(server: &str) -> anyhow::Result<String> {
    let server = server.trim_end_matches('/');
    let rest = if let Some(rest) = server.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = server.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if server.starts_with("ws://") || server.starts_with("wss://") {
        server.to_owned()
    } else {
        anyhow::bail!("server {server:?} must start with http:// or https://");
    };
    Ok(format!("{rest}/ws/agent"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_toml_reads_like_the_contract() {
        let config = AgentConfig::from_toml(
            r#"
server = "https://live.example.com"
kill_file = "/tmp/KILL"
safe_stop_after_s = 7

[[binding]]
token = "lat_a"
serial = "/dev/ttyUSB0"

[[binding]]
token = "lat_b"
serial = "/dev/ttyUSB0"
baud = 115200
"#,
        )
        .unwrap();
        assert_eq!(config.bindings.len(), 2);
        assert_eq!(config.bindings[0].baud, 115_200);
        assert_eq!(config.safe_stop_after, Duration::from_secs(7));
        assert_eq!(config.kill_file, PathBuf::from("/tmp/KILL"));
        assert_eq!(
            socket_url(&config.server).unwrap(),
            "wss://live.example.com/ws/agent"
        );
        assert_eq!(
            socket_url("http://127.0.0.1:8080/").unwrap(),
            "ws://127.0.0.1:8080/ws/agent"
        );
        assert_eq!(config.bindings[0].allowed_commands, None);
    }

    #[test]
    fn local_limits_and_insecure_come_from_agent_toml() {
        let config = AgentConfig::from_toml(
            r#"
server = "http://192.0.2.1:8080"
insecure = true

[[binding]]
token = "lat_a"
serial = "/dev/ttyUSB0"
allowed_commands = ["LED_ON"]
max_duration_ms = 3000
"#,
        )
        .unwrap();
        assert!(config.insecure);
        assert_eq!(
            config.bindings[0].allowed_commands,
            Some(vec!["LED_ON".into()])
        );
        assert_eq!(config.bindings[0].max_duration_ms, Some(3000));
    }

    #[test]
    fn bad_configs_say_why() {
        for (text, why) in [
            (
                "server = \"ftp://x\"\n[[binding]]\ntoken=\"lat_a\"\nserial=\"/dev/x\"",
                "http",
            ),
            ("server = \"http://localhost\"", "no binding"),
            (
                "server = \"http://localhost\"\n[[binding]]\ntoken=\"abc\"\nserial=\"/dev/x\"",
                "lat_",
            ),
            (
                "server = \"http://localhost\"\n[[binding]]\ntoken=\"lat_a\"\nserial=\"/dev/x\"\n[[binding]]\ntoken=\"lat_a\"\nserial=\"/dev/y\"",
                "twice",
            ),
            ("server = \"http://localhost\"\nwhat = 1", "what"),
            (
                "server = \"http://192.0.2.1:8080\"\n[[binding]]\ntoken=\"lat_a\"\nserial=\"/dev/x\"",
                "in clear",
            ),
            (
                "server = \"http://[::1]:8080\"\n[[binding]]\ntoken=\"lat_a\"\nserial=\"/dev/x\"\nmax_duration_ms = 700000",
                "max_duration_ms",
            ),
        ] {
            let err = format!("{:#}", AgentConfig::from_toml(text).unwrap_err());
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
