//! Typed settings. Layers, lowest first: `config/default.toml` (compiled in), the `--config`
//! file, `LIVECTL_<SECTION>__<KEY>` environment variables, command-line flags.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::workspaces::plans::Plan;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// A string that never appears in logs or `Debug` output.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("[redacted]")
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub bus: BusSettings,
    pub redis: RedisSettings,
    pub mqtt: MqttSettings,
    pub tiktok: TiktokSettings,
    pub commands: CommandSettings,
    pub plans: PlanSettings,
    pub metrics: MetricsSettings,
    pub agents: AgentSettings,
}

/// `[agents]`: pairing and the builds agents update themselves from.
#[derive(Debug, Clone, Deserialize)]
pub struct AgentSettings {
    /// Signed agent builds: `{dir}/{version}/{platform}/livectl[.exe]` + `.sig`. Empty =
    /// `<data_dir>/releases`.
    pub releases_dir: String,
    /// The version agents are told to run; empty = this server's own version.
    pub recommended_version: String,
    /// Pairings one client address may start per minute.
    pub pairings_per_address_per_minute: u32,
}

/// `server.public_url` in `config/default.toml`.
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub http_addr: SocketAddr,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub workers: usize,
    pub max_body_bytes: usize,
    /// Replaced by `trusted_proxies`: `true` refuses to start (it trusted any client's header).
    pub trust_forwarded_for: bool,
    /// Proxies whose `X-Forwarded-For` is believed (right-most untrusted hop).
    pub trusted_proxies: crate::http::client_ip::TrustedProxies,
    pub access_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub pool_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    Open,
    Invite,
    Closed,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub registration: RegistrationMode,
    pub access_ttl_s: u64,
    pub refresh_ttl_s: u64,
    pub bcrypt_cost: u32,
    pub jwt_secret: Secret,
    pub login_attempts_per_account: u32,
    pub login_attempts_per_address: u32,
    /// Accounts one client address may register per minute.
    pub registrations_per_address: u32,
    /// Members one account may add (to any workspace) per minute.
    pub member_adds_per_minute: u32,
    /// A refresh token presented again this soon after its rotation is refused without
    /// revoking its family (two browser tabs renewing at once). At most 10 000.
    pub refresh_reuse_grace_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Empty: loopback only. Set: `Authorization: Bearer <token>` required, from anywhere.
    pub token: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BusKind {
    Memory,
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BusSettings {
    pub kind: BusKind,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    pub url: Secret,
    pub stream_maxlen: usize,
    pub claim_idle_ms: u64,
    pub namespace: String,
    pub lease_ttl_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MqttSettings {
    pub enabled: bool,
    /// The plain listener; `""` (the default) leaves it off.
    #[serde(deserialize_with = "empty_is_none")]
    pub listen: Option<SocketAddr>,
    pub tls_listen: SocketAddr,
}

/// `""` is "not set"; anything else must parse.
fn empty_is_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text = String::deserialize(deserializer)?;
    match text.trim() {
        "" => Ok(None),
        value => value.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TiktokSettings {
    pub sign_url: String,
    pub sign_api_key: Secret,
    pub web_url: String,
    pub webcast_url: String,
    pub session_id: Secret,
    pub session_to_sign_server: bool,
    pub target_idc: String,
    pub user_agent: String,
    pub browser_language: String,
    pub browser_platform: String,
    pub tz_name: String,
    pub proxy: String,
    pub heartbeat_ms: u64,
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    pub simulator_interval_ms: u64,
    pub stall_timeout_ms: u64,
    pub socket_connect_timeout_ms: u64,
    pub transient_retries: u32,
    pub connects_per_hour: u32,
    pub sign_calls_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommandSettings {
    pub ttl_ms: u64,
    pub ack_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlanSettings {
    pub default: Plan,
}

impl Settings {
    /// Reads every layer. `overrides` are `("section.key", value)` pairs from flags.
    pub fn load(config_file: Option<&Path>, overrides: &[(&str, String)]) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = config_file {
            anyhow::ensure!(
                path.exists(),
                "config file {} does not exist",
                path.display()
            );
            builder = builder.add_source(
                config::File::from(path.to_path_buf()).format(config::FileFormat::Toml),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("LIVECTL")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("server.trusted_proxies"),
        );
        for (key, value) in overrides {
            builder = builder.set_override(*key, value.as_str())?;
        }
        let settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("configuration is invalid")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Defaults only (tests and tools start from these and adjust).
    pub fn defaults() -> anyhow::Result<Self> {
        Self::load(None, &[])
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.server.trust_forwarded_for,
            "server.trust_forwarded_for was replaced by server.trusted_proxies: list the addresses \
             or networks of your reverse proxies (e.g. [\"10.0.0.0/8\"]) and remove trust_forwarded_for"
        );
        anyhow::ensure!(
            (4..=31).contains(&self.auth.bcrypt_cost),
            "auth.bcrypt_cost must be between 4 and 31"
        );
        anyhow::ensure!(
            self.auth.access_ttl_s > 0,
            "auth.access_ttl_s must be positive"
        );
        anyhow::ensure!(
            self.auth.refresh_ttl_s > 0,
            "auth.refresh_ttl_s must be positive"
        );
        anyhow::ensure!(
            self.auth.jwt_secret.is_empty() || self.auth.jwt_secret.expose().len() >= 32,
            "auth.jwt_secret must be at least 32 bytes (or empty, to have one generated)"
        );
        anyhow::ensure!(
            (0..=10_000).contains(&self.auth.refresh_reuse_grace_ms),
            "auth.refresh_reuse_grace_ms must be between 0 and 10000"
        );
        anyhow::ensure!(
            self.server.max_body_bytes >= 1024,
            "server.max_body_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.tiktok.user_agent.starts_with("Mozilla/"),
            "tiktok.user_agent must be a browser's User-Agent (\"Mozilla/5.0 (…) …\")"
        );
        if !self.tiktok.proxy.is_empty() {
            crate::live::client::proxy::parse(&self.tiktok.proxy)
                .map_err(|why| anyhow::anyhow!("tiktok.proxy: {why}"))?;
        }
        anyhow::ensure!(
            self.tiktok.stall_timeout_ms >= 1_000,
            "tiktok.stall_timeout_ms must be at least 1000"
        );
        anyhow::ensure!(
            self.tiktok.connects_per_hour >= 1 && self.tiktok.sign_calls_per_minute >= 1,
            "tiktok.connects_per_hour and tiktok.sign_calls_per_minute must be at least 1"
        );
        if self.bus.kind == BusKind::Redis {
            anyhow::ensure!(
                !self.redis.url.is_empty(),
                "redis.url is required when bus.kind = \"redis\""
            );
            anyhow::ensure!(
                (2_000..=60_000).contains(&self.redis.lease_ttl_ms),
                "redis.lease_ttl_ms must be between 2000 and 60000 (leases are renewed every second)"
            );
        }
        let url = self.database_url();
        crate::db::Backend::of_url(url.expose())?;
        Ok(())
    }

    /// `server.public_url` without its trailing `/`, to put paths after.
    pub fn public_base(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }

    /// Where people reach this server once it listens on `bound`: `server.public_url`, unless
    /// that was left at its built-in default while the server listens elsewhere (`--http
    /// 127.0.0.1:9000`): then the address it really listens on.
    pub fn reachable_url(&self, bound: SocketAddr) -> String {
        let configured = self.public_base();
        if configured != DEFAULT_PUBLIC_URL || bound.port() == 8080 {
            return configured.to_owned();
        }
        let host = match bound.ip() {
            ip if ip.is_unspecified() || ip.is_loopback() => "localhost".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        format!("http://{host}:{}", bound.port())
    }

    /// Where signed agent builds are kept.
    pub fn releases_dir(&self) -> PathBuf {
        if self.agents.releases_dir.is_empty() {
            self.server.data_dir.join("releases")
        } else {
            PathBuf::from(&self.agents.releases_dir)
        }
    }

    /// `database.url`, or the SQLite file in the data folder when it is empty.
    pub fn database_url(&self) -> Secret {
        if self.database.url.is_empty() {
            Secret::new(format!(
                "sqlite://{}",
                self.server.data_dir.join("livectl.db").display()
            ))
        } else {
            self.database.url.clone()
        }
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;

    #[test]
    fn a_short_explicit_jwt_secret_refuses_to_start() {
        let mut settings = Settings::defaults().unwrap();
        settings.auth.jwt_secret = Secret::new("too short");
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("at least 32 bytes"), "{err}");
        settings.auth.jwt_secret = Secret::new("x".repeat(32));
        settings.validate().unwrap();
    }

    #[test]
    fn trust_forwarded_for_gives_way_to_trusted_proxies() {
        let mut settings = Settings::defaults().unwrap();
        assert!(settings.server.trusted_proxies.is_empty());
        settings.server.trust_forwarded_for = true;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("server.trusted_proxies"), "{err}");
        let from_file = Settings::load(None, &[("server.trusted_proxies", "bad".to_owned())]);
        assert!(from_file.is_err(), "a list is expected");
        assert!(Settings::load(None, &[("mqtt.listen", "not an address".to_owned())]).is_err());
        let plain = Settings::load(None, &[("mqtt.listen", "127.0.0.1:1883".to_owned())]).unwrap();
        assert_eq!(plain.mqtt.listen, Some("127.0.0.1:1883".parse().unwrap()));
        assert_eq!(Settings::defaults().unwrap().mqtt.listen, None);
    }
}

#[cfg(test)]
mod reachable_url_tests {
    use super::*;

    #[test]
    fn the_printed_url_is_where_the_server_listens() {
        let mut settings = Settings::defaults().unwrap();
        let at = |a: &str| a.parse::<SocketAddr>().unwrap();
        assert_eq!(
            settings.reachable_url(at("0.0.0.0:8080")),
            "http://localhost:8080"
        );
        assert_eq!(
            settings.reachable_url(at("127.0.0.1:9000")),
            "http://localhost:9000"
        );
        assert_eq!(
            settings.reachable_url(at("192.168.1.5:9000")),
            "http://192.168.1.5:9000"
        );
        settings.server.public_url = "https://live.example.com/".into();
        assert_eq!(
            settings.reachable_url(at("127.0.0.1:9000")),
            "https://live.example.com"
        );
    }
}
