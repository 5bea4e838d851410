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
    /// Prints the version.
    Version,
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
