//! The command line (`config.md` § Commands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "livectl",
    version,
    about = "Turns a TikTok LIVE stream into physical action."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server: API, dashboard, agent socket, MQTT broker.
    Serve(ServeArgs),
    /// Applies pending database migrations and exits.
    Migrate(MigrateArgs),
    /// Administration from the shell.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Runs the edge agent: links boards on serial ports to the server.
    Agent(AgentArgs),
    /// TikTok LIVE from the shell.
    Live {
        #[command(subcommand)]
        command: LiveCommand,
    },
    /// Signed agent builds for auto-update and /install.sh.
    Release {
        #[command(subcommand)]
        command: ReleaseCommand,
    },
    /// Prints the version.
    Version,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Makes a signing key (keep it off the server) and prints its public half.
    Keygen {
        /// Where to write the private key (created owner-only; never replaced).
        #[arg(long)]
        out: PathBuf,
    },
    /// Signs an agent build into the server's releases folder (agents.releases_dir).
    Sign {
        /// The private key from `livectl release keygen`.
        #[arg(long)]
        key: PathBuf,
        /// The build to sign; default: this very executable.
        #[arg(long)]
        binary: Option<PathBuf>,
        /// Its version; default: this executable's.
        #[arg(long)]
        version: Option<String>,
        /// Its platform, e.g. linux-x86_64, macos-aarch64, windows-x86_64; default: this one.
        #[arg(long)]
        platform: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Lists the builds the server would offer (signature checked).
    List {
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: Option<AgentCommand>,
    /// agent.toml with the server, the kill file and several bindings.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The livectl server, e.g. https://live.example.com.
    #[arg(long)]
    pub server: Option<String>,
    /// The device's agent token (lat_…). Prefer LIVECTL_AGENT_TOKEN: flags show in `ps`.
    #[arg(long, env = "LIVECTL_AGENT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The board's serial port, e.g. /dev/ttyUSB0 (see `livectl agent list-ports`).
    #[arg(long)]
    pub serial: Option<String>,
    #[arg(long, default_value_t = crate::agent::config::DEFAULT_BAUD)]
    pub baud: u32,
    /// Present = local kill switch engaged (default ~/.livectl/KILL).
    #[arg(long)]
    pub kill_file: Option<PathBuf>,
    /// STOP the boards when the server has been unreachable this many seconds (default 5).
    #[arg(long)]
    pub safe_stop_after_s: Option<u64>,
    /// Allow a plain http:// server on another machine (the token travels in clear).
    #[arg(long)]
    pub insecure: bool,
    /// Local limit for the single binding: the only commands the board may run, e.g.
    /// LED_ON,RELAY_ON (the server can narrow it, never widen it).
    #[arg(long)]
    pub allowed_commands: Option<String>,
    /// Local limit for the single binding: the longest command, in ms.
    #[arg(long)]
    pub max_duration_ms: Option<i64>,
    /// The local status page with STOP (loopback only; default 127.0.0.1:8790; "" = off).
    #[arg(long)]
    pub status_addr: Option<String>,
    /// Do not switch to the build the server recommends.
    #[arg(long)]
    pub no_auto_update: bool,
}

impl AgentArgs {
    /// The flags as the agent takes them.
    pub fn options(&self) -> crate::agent::config::AgentOptions {
        crate::agent::config::AgentOptions {
            config: self.config.clone(),
            server: self.server.clone(),
            token: self.token.clone(),
            serial: self.serial.clone(),
            baud: self.baud,
            kill_file: self.kill_file.clone(),
            safe_stop_after_s: self.safe_stop_after_s,
            insecure: self.insecure,
            allowed_commands: self.allowed_commands.clone(),
            max_duration_ms: self.max_duration_ms,
            status_addr: self.status_addr.clone(),
            no_auto_update: self.no_auto_update,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Lists the serial ports of this machine.
    ListPorts,
    /// Engages the local kill switch of a running agent (creates its kill file).
    StopAll {
        /// The agent's agent.toml, to find its kill file.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        kill_file: Option<PathBuf>,
    },
    /// Pairs this computer with a workspace: shows a code to approve in the dashboard, then
    /// keeps the token it receives in agent.toml (owner-only).
    Pair {
        /// The livectl server, e.g. https://live.example.com.
        #[arg(long)]
        server: String,
        /// The board's serial port (see `list-ports`); default: the only one there is.
        #[arg(long)]
        serial: Option<String>,
        #[arg(long, default_value_t = crate::agent::config::DEFAULT_BAUD)]
        baud: u32,
        /// The agent.toml to write or add a binding to.
        #[arg(long, default_value = crate::agent::config::DEFAULT_CONFIG_FILE)]
        config: PathBuf,
        /// Allow a plain http:// server on another machine.
        #[arg(long)]
        insecure: bool,
    },
    /// Installs the agent as a service of this user: it starts at login and restarts on
    /// failure (systemd user unit, launchd agent, or a Windows logon task).
    Install {
        #[arg(long, default_value = crate::agent::config::DEFAULT_CONFIG_FILE)]
        config: PathBuf,
    },
    /// Removes the service `install` made (agent.toml stays).
    Uninstall,
    /// Says whether the service is installed and running, and where its log is.
    Status,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// A TOML file overriding config/default.toml.
    #[arg(long, env = "LIVECTL_CONFIG")]
    pub config: Option<PathBuf>,
    /// `sqlite://path` or `postgres://…` (overrides database.url).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Folder for the database, secrets and CA (overrides server.data_dir).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl ConfigArgs {
    /// Flags as `("section.key", value)` overrides.
    pub fn overrides(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(url) = &self.database_url {
            out.push(("database.url", url.clone()));
        }
        if let Some(dir) = &self.data_dir {
            out.push(("server.data_dir", dir.display().to_string()));
        }
        out
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Address to listen on (overrides server.http_addr).
    #[arg(long)]
    pub http: Option<String>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates an account; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (the only way, so it stays out of `ps`).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        name: Option<String>,
        /// Make the account a platform admin.
        #[arg(long)]
        platform_admin: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum LiveCommand {
    /// Connects to a TikTok LIVE once, step by step, and says where it fails and why.
    Probe {
        /// The account: @user, user or https://www.tiktok.com/@user/live.
        target: String,
        /// How long to listen for messages once connected.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[command(flatten)]
        config: ConfigArgs,
    },
}
