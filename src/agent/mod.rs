//! The edge agent (`livectl agent`): holds the serial ports of the boards and trusts nothing
//! the server sends. Uses `protocol` only; never the server's database, auth or workspaces.
//!
//! - `config`: bindings from flags or `agent.toml`.
//! - `guard`: every zero-trust check of `protocols.md` §4.
//! - `board`: one serial port, the line protocol of §5, reopen on unplug.
//! - `link`: one binding's socket to the server, reconnect, safe stop.
//!
//! The local kill switch (the kill file, `livectl agent stop-all`, Ctrl-C) sends `STOP` to
//! every board at once and refuses every command while it is engaged.

pub mod board;
pub mod config;
pub mod guard;
pub mod journal;
pub mod link;
pub mod pair;
pub mod service;
pub mod status_page;
pub mod update;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use self::board::{BoardHandle, BoardStatus};
use self::config::AgentConfig;
use self::journal::Journal;
use self::link::{Link, LinkView};
use self::update::Updater;
use crate::protocol::SerialState;

/// How often the kill file is looked at.
const KILL_FILE_POLL: Duration = Duration::from_millis(100);

/// A running agent.
pub struct AgentHandle {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    boards: Vec<BoardHandle>,
    pub local_kill: Arc<AtomicBool>,
    pub views: Vec<watch::Receiver<LinkView>>,
    pub journal: Journal,
    pub updater: Arc<Updater>,
    /// Where the status page listens, if it does.
    pub status_addr: Option<std::net::SocketAddr>,
    status_server: Option<status_page::StatusServer>,
}

impl AgentHandle {
    /// The boards, one per distinct serial port.
    pub fn boards(&self) -> &[BoardHandle] {
        &self.boards
    }

    /// STOPs every board, then ends every link.
    pub async fn shutdown(mut self, why: &str) {
        stop_all_boards(&self.boards, why);
        // Give the STOP lines a moment to leave before the ports close.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
        if let Some(server) = self.status_server.take() {
            server.stop().await;
        }
    }

    /// Resolves when every binding has ended (their tokens were all refused).
    pub async fn bindings_ended(&mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

fn stop_all_boards(boards: &[BoardHandle], why: &str) {
    for board in boards {
        board.stop(why);
    }
}

/// Starts every binding (inside an actix system: the status page is an actix server).
/// Bindings on one port share its board. This never updates itself: see [`start_with`].
pub fn start(config: &AgentConfig) -> anyhow::Result<AgentHandle> {
    start_with(config, Updater::off())
}

/// [`start`] with the updater of the `livectl agent` process.
pub fn start_with(config: &AgentConfig, updater: Arc<Updater>) -> anyhow::Result<AgentHandle> {
    config.validate()?;
    if config.insecure && config::sends_token_in_clear(&config.server) {
        tracing::warn!(server = %config.server, "insecure = true: the agent tokens travel in clear to a server on another machine; anyone on the network path can read them and drive the boards");
    }
    let journal = Journal::default();
    let url = config::socket_url(&config.server)?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let local_kill = Arc::new(AtomicBool::new(config.kill_file.exists()));
    let mut by_port: HashMap<String, BoardHandle> = HashMap::new();
    let mut boards = Vec::new();
    let mut tasks = JoinSet::new();
    let mut views = Vec::new();
    for (i, binding) in config.bindings.iter().enumerate() {
        let board = by_port
            .entry(binding.serial.clone())
            .or_insert_with(|| {
                let board = BoardHandle::open(&binding.serial, binding.baud);
                boards.push(board.clone());
                board
            })
            .clone();
        let (view, view_rx) = watch::channel(LinkView::default());
        views.push(view_rx);
        let link = Link {
            name: format!("{}:{}", i + 1, binding.serial),
            url: url.clone(),
            token: binding.token.clone(),
            board,
            local_kill: local_kill.clone(),
            safe_stop_after: config.safe_stop_after,
            shared_board: config
                .bindings
                .iter()
                .filter(|b| b.serial == binding.serial)
                .count()
                > 1,
            view,
            local_commands: binding
                .allowed_commands
                .as_ref()
                .map(|c| c.iter().cloned().collect()),
            local_max_duration_ms: binding.max_duration_ms,
            expected_device: binding.device_id.clone(),
            journal: journal.clone(),
            updater: updater.clone(),
        };
        tasks.spawn(link.run(shutdown_rx.clone()));
    }
    if local_kill.load(Ordering::SeqCst) {
        tracing::warn!(kill_file = %config.kill_file.display(), "the local kill switch is engaged (kill file present)");
    }
    tokio::spawn(watch_kill_file(
        config.kill_file.clone(),
        local_kill.clone(),
        boards.clone(),
        shutdown_rx,
    ));
    tokio::spawn(updater.clone().watch_trial());
    let (status_addr, status_server) = match config.status_addr {
        Some(addr) => {
            let page = status_page::PageState {
                views: views.clone(),
                boards: boards.clone(),
                local_kill: local_kill.clone(),
                kill_file: config.kill_file.clone(),
                journal: journal.clone(),
                update: updater.state(),
                server: config.server.clone(),
            };
            match status_page::serve(addr, page) {
                Ok((bound, server)) => {
                    tracing::info!(url = %format!("http://{bound}/"), "status page with STOP");
                    (Some(bound), Some(server))
                }
                Err(err) => {
                    tracing::warn!(%addr, error = %err, "the status page could not start (set status_addr, or \"\" to turn it off)");
                    (None, None)
                }
            }
        }
        None => (None, None),
    };
    Ok(AgentHandle {
        shutdown,
        tasks,
        boards,
        local_kill,
        views,
        journal,
        updater,
        status_addr,
        status_server,
    })
}

/// Engages the local kill switch while the kill file exists: STOP to every board the moment
/// it appears (and every second while it stays, in case a board rebooted meanwhile).
async fn watch_kill_file(
    path: std::path::PathBuf,
    engaged: Arc<AtomicBool>,
    boards: Vec<BoardHandle>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(KILL_FILE_POLL);
    let mut since_stop = Duration::ZERO;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let present = path.exists();
        let was = engaged.swap(present, Ordering::SeqCst);
        if present && !was {
            tracing::warn!(kill_file = %path.display(), "local kill switch engaged");
            stop_all_boards(&boards, "local kill switch engaged");
            since_stop = Duration::ZERO;
        } else if present {
            since_stop += KILL_FILE_POLL;
            if since_stop >= Duration::from_secs(1) {
                stop_all_boards(&boards, "local kill switch still engaged");
                since_stop = Duration::ZERO;
            }
        } else if was {
            tracing::warn!(kill_file = %path.display(), "local kill switch released");
        }
    }
}

/// `livectl agent stop-all`: creates the kill file a running agent watches.
pub fn engage_kill_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        path,
        format!(
            "engaged by livectl agent stop-all at {}\n",
            crate::ids::now_ms()
        ),
    )?;
    Ok(())
}

/// `livectl agent list-ports`.
pub fn list_ports() -> anyhow::Result<Vec<String>> {
    let ports = tokio_serial::available_ports()?;
    Ok(ports
        .into_iter()
        .map(|p| match p.port_type {
            tokio_serial::SerialPortType::UsbPort(usb) => format!(
                "{}  usb {:04x}:{:04x} {} {}",
                p.port_name,
                usb.vid,
                usb.pid,
                usb.manufacturer.unwrap_or_default(),
                usb.product.unwrap_or_default()
            )
            .trim_end()
            .to_owned(),
            tokio_serial::SerialPortType::PciPort => format!("{}  pci", p.port_name),
            tokio_serial::SerialPortType::BluetoothPort => format!("{}  bluetooth", p.port_name),
            tokio_serial::SerialPortType::Unknown => p.port_name,
        })
        .collect())
}

/// The one-line status: every binding's server state and board.
pub fn status_line(views: &[LinkView], boards: &[(String, BoardStatus)], kill: bool) -> String {
    let mut parts = Vec::new();
    if kill {
        parts.push("LOCAL KILL SWITCH ENGAGED".to_owned());
    }
    for v in views {
        let mut s = format!(
            "{}: {}",
            v.device.as_deref().unwrap_or("device ?"),
            v.server
        );
        if let Some(last) = &v.last_command {
            s.push_str(&format!(", last {last}"));
        }
        parts.push(s);
    }
    for (path, b) in boards {
        let state = match b.serial {
            SerialState::Open => "open",
            SerialState::Closed => "closed",
            SerialState::Error => "error",
        };
        let mut s = format!("{path} {state}");
        if let Some(fw) = &b.firmware {
            s.push_str(&format!(" [{fw}]"));
        }
        if let Some(d) = &b.detail {
            s.push_str(&format!(" ({d})"));
        }
        parts.push(s);
    }
    parts.join(" | ")
}

/// Runs the agent in the foreground until Ctrl-C (or every token is refused), printing the
/// status line whenever it changes.
pub async fn run_foreground(config: AgentConfig) -> anyhow::Result<()> {
    let updater = Updater::start(&config)?;
    let mut restart = updater.restart_wanted();
    if *restart.borrow_and_update() {
        // A build on trial that died: the previous one is back in place.
        return update::restart_into(updater.executable());
    }
    let mut agent = start_with(&config, updater.clone())?;
    // Like the status line: a closed stdout must not stop the agent.
    let _ = writeln!(
        std::io::stdout(),
        "livectl agent {}: {} binding(s) to {}; kill file {}{}",
        env!("CARGO_PKG_VERSION"),
        config.bindings.len(),
        config.server,
        config.kill_file.display(),
        agent
            .status_addr
            .map(|a| format!("; status page http://{a}/"))
            .unwrap_or_default()
    );
    let views = agent.views.clone();
    let boards: Vec<(String, watch::Receiver<BoardStatus>)> = agent
        .boards()
        .iter()
        .map(|b| (b.path.clone(), b.status()))
        .collect();
    let kill = agent.local_kill.clone();
    let printer = tokio::spawn(print_status(views, boards, kill));
    let outcome = tokio::select! {
        signal = stop_signal() => {
            let signal = signal?;
            tracing::warn!(signal, "stopping every board");
            agent.shutdown(&format!("agent stopped ({signal})")).await;
            Ok(())
        }
        _ = restart.wait_for(|wanted| *wanted) => {
            agent.shutdown("restarting into another build").await;
            printer.abort();
            let _ = writeln!(std::io::stdout());
            return update::restart_into(updater.executable());
        }
        _ = agent.bindings_ended() => Err(anyhow::anyhow!("every binding's token was refused by the server")),
    };
    printer.abort();
    let _ = writeln!(std::io::stdout());
    outcome
}

/// Ctrl-C, or (Unix) the service manager's SIGTERM: either way the boards are stopped first.
async fn stop_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "Ctrl-C"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}

async fn print_status(
    views: Vec<watch::Receiver<LinkView>>,
    boards: Vec<(String, watch::Receiver<BoardStatus>)>,
    kill: Arc<AtomicBool>,
) {
    use std::io::IsTerminal as _;
    let tty = std::io::stdout().is_terminal();
    let mut last = String::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        let v: Vec<LinkView> = views.iter().map(|r| r.borrow().clone()).collect();
        let b: Vec<(String, BoardStatus)> = boards
            .iter()
            .map(|(p, r)| (p.clone(), r.borrow().clone()))
            .collect();
        let line = status_line(&v, &b, kill.load(Ordering::SeqCst));
        if line != last {
            let mut out = std::io::stdout().lock();
            let _ = if tty {
                write!(out, "\r\x1b[2K{line}")
            } else {
                writeln!(out, "{line}")
            };
            let _ = out.flush();
            last = line;
        }
    }
}
