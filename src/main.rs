use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use clap::Parser as _;
use livectl::auth::{password, users};
use livectl::cli::{
    AdminCommand, AgentArgs, AgentCommand, Cli, Command, ConfigArgs, LiveCommand, ReleaseCommand,
    ServeArgs,
};
use livectl::config::Settings;
use livectl::error::AppError;
use livectl::startup::Application;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Version => {
            println!("livectl {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Serve(args) => actix_web::rt::System::new().block_on(serve(args)),
        Command::Migrate(args) => migrate(&args.config),
        Command::Admin { command } => admin(command),
        Command::Agent(args) => agent(args),
        Command::Live { command } => live(command),
        Command::Release { command } => release(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, whatever the cause's own formatting (libpq's messages span lines).
            let message = format!("{err:#}");
            eprintln!(
                "livectl: {}",
                message.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ExitCode::FAILURE
        }
    }
}

fn live(command: LiveCommand) -> anyhow::Result<()> {
    match command {
        LiveCommand::Probe {
            target,
            seconds,
            config,
        } => {
            let settings = load(&config, Vec::new())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let listen = std::time::Duration::from_secs(seconds.clamp(1, 300));
            let ok = runtime.block_on(livectl::live::probe::probe(
                &settings.tiktok,
                &target,
                listen,
                &mut std::io::stdout(),
            ));
            if ok {
                Ok(())
            } else {
                anyhow::bail!("the probe failed (see above)")
            }
        }
    }
}

fn load(config: &ConfigArgs, extra: Vec<(&'static str, String)>) -> anyhow::Result<Settings> {
    let mut overrides = config.overrides();
    overrides.extend(extra);
    let settings = Settings::load(config.config.as_deref(), &overrides)?;
    livectl::telemetry::init(settings.log.format);
    Ok(settings)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let extra = args
        .http
        .map(|h| vec![("server.http_addr", h)])
        .unwrap_or_default();
    let settings = load(&args.config, extra)?;
    let addr = settings.server.http_addr;
    let app = Application::build(settings).await?;
    let public_url = app.state().settings.server.public_url.clone();
    tracing::info!(%addr, port = app.port(), "livectl is listening");
    let mqtt = app
        .state()
        .mqtt
        .as_ref()
        .map(|b| match b.plain_addr {
            Some(plain) => format!(
                "MQTT: TLS {}, plain {plain} (no TLS: trusted LAN only). ",
                b.tls_addr
            ),
            None => format!("MQTT: TLS {}. ", b.tls_addr),
        })
        .unwrap_or_default();
    // One line, and no panic if whoever started us closed our stdout.
    let _ = writeln!(
        std::io::stdout(),
        "livectl is running. {mqtt}Dashboard: {public_url}/  (listening on {addr}, port {})",
        app.port()
    );
    app.run_until_signalled().await?;
    tracing::info!("livectl stopped");
    Ok(())
}

fn release(command: ReleaseCommand) -> anyhow::Result<()> {
    use livectl::release::{SigningKey, folder::ReleaseFolder};
    match command {
        ReleaseCommand::Keygen { out } => {
            let pem = SigningKey::generate()?;
            livectl::files::write_private(&out, pem.as_bytes(), false)?;
            let public = SigningKey::from_pem(&pem)?.public();
            println!(
                "private key written to {} (keep it off the server)\npublic key: {}",
                out.display(),
                public.text()
            );
            Ok(())
        }
        ReleaseCommand::Sign {
            key,
            binary,
            version,
            platform,
            config,
        } => {
            let settings = load(&config, Vec::new())?;
            let key = SigningKey::from_pem(
                &std::fs::read_to_string(&key)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", key.display()))?,
            )?;
            let binary = match binary {
                Some(path) => path,
                None => std::env::current_exe()?,
            };
            let version = version.unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned());
            let platform = platform.unwrap_or_else(livectl::release::this_platform);
            let folder = ReleaseFolder::new(settings.releases_dir());
            let build = folder.add(&key, &binary, &version, &platform)?;
            println!(
                "signed {} {} ({} bytes, sha256 {}) into {}",
                build.version,
                build.platform,
                build.size,
                build.sha256,
                folder.dir().display()
            );
            Ok(())
        }
        ReleaseCommand::List { config } => {
            let settings = load(&config, Vec::new())?;
            let folder = ReleaseFolder::new(settings.releases_dir());
            let builds = folder.list();
            if builds.is_empty() {
                println!(
                    "no signed build in {} (see `livectl release sign`)",
                    folder.dir().display()
                );
            }
            for b in builds {
                println!(
                    "{} {} {} bytes sha256 {}",
                    b.version, b.platform, b.size, b.sha256
                );
            }
            Ok(())
        }
    }
}

fn migrate(config: &ConfigArgs) -> anyhow::Result<()> {
    let settings = load(config, Vec::new())?;
    let applied = livectl::db::run_migrations(settings.database_url().expose())?;
    println!("{applied} migration(s) applied");
    Ok(())
}

fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser {
            email,
            password_stdin: _,
            name,
            platform_admin,
            config,
        } => {
            let settings = load(&config, Vec::new())?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let email =
                String::from(livectl::text::Email::parse(&email).map_err(AppError::into_cause)?);
            let name = match name {
                Some(n) => String::from(
                    livectl::text::Name::parse("name", &n).map_err(AppError::into_cause)?,
                ),
                None => email.split('@').next().unwrap_or_default().to_owned(),
            };
            let hash = password::hash_blocking(&password, settings.auth.bcrypt_cost)
                .map_err(AppError::into_cause)?;
            let db = livectl::db::Db::connect(settings.database_url().expose(), 1)?;
            let mut conn = db.get_blocking().map_err(AppError::into_cause)?;
            let user = livectl::db::write_transaction(&mut conn, |c| {
                users::User::create(c, users::User::new(email, name, hash)?, platform_admin)
            })
            .map_err(AppError::into_cause)?;
            println!(
                "created {} ({}){}",
                user.email,
                user.id,
                if user.is_platform_admin {
                    ", platform admin"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

fn agent(args: AgentArgs) -> anyhow::Result<()> {
    use livectl::agent::config::AgentConfig;
    match args.command {
        Some(AgentCommand::ListPorts) => {
            let ports = livectl::agent::list_ports()?;
            if ports.is_empty() {
                println!("no serial ports found");
            }
            for port in ports {
                println!("{port}");
            }
            Ok(())
        }
        Some(AgentCommand::StopAll { config, kill_file }) => {
            let path = AgentConfig::kill_file_of(config.as_deref(), kill_file)?;
            livectl::agent::engage_kill_file(&path)?;
            println!(
                "local kill switch engaged: {} (delete it to release)",
                path.display()
            );
            Ok(())
        }
        Some(AgentCommand::Pair {
            server,
            serial,
            baud,
            config,
            insecure,
        }) => {
            livectl::telemetry::init(livectl::config::LogFormat::Text);
            let options = livectl::agent::pair::PairOptions {
                server,
                serial,
                baud,
                config,
                insecure,
            };
            actix_web::rt::System::new().block_on(async move {
                livectl::agent::pair::pair(&options, &mut std::io::stdout())
                    .await
                    .map(|_| ())
            })
        }
        Some(AgentCommand::Install { config }) => {
            println!("{}", livectl::agent::service::install(&config)?);
            Ok(())
        }
        Some(AgentCommand::Uninstall) => {
            println!("{}", livectl::agent::service::uninstall()?);
            Ok(())
        }
        Some(AgentCommand::Status) => {
            println!("{}", livectl::agent::service::status());
            Ok(())
        }
        None => {
            let mut options = args.options();
            if let Some(path) = options.config.take() {
                options.config = Some(AgentConfig::expanded(&path));
            }
            let config = AgentConfig::from_options(&options)?;
            livectl::telemetry::init(livectl::config::LogFormat::Text);
            livectl::live::client::ensure_crypto_provider();
            // An actix system: the status page is an actix server.
            actix_web::rt::System::new().block_on(livectl::agent::run_foreground(config))
        }
    }
}
