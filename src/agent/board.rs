//! One board on one serial port (`protocols.md` §5): opens the port (and reopens it with
//! backoff when it is unplugged), PINGs every second, sends one `CMD` at a time in order and
//! waits for its `OK` / `ERR`, and sends `STOP` at once when asked, ahead of any queued command.
//! Several bindings may share a board: they hold clones of one [`BoardHandle`].

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, WriteHalf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};
use tokio_serial::{SerialPortBuilderExt as _, SerialStream};

use crate::ids::now_ms;
use crate::protocol::SerialState;
use crate::protocol::serial::{AgentLine, BoardLine, MAX_LINE};

/// Commands waiting for one board; one more is answered `busy`.
pub const QUEUE_PER_BOARD: usize = 16;
const PING_EVERY: Duration = Duration::from_secs(1);
/// The board's own dead-man delay: a board silent this long is not answering.
const SILENCE_LIMIT: Duration = Duration::from_secs(3);
/// How long a board has to answer a `CMD` line.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
const WRITE_TIMEOUT: Duration = Duration::from_millis(500);
const REOPEN_MIN: Duration = Duration::from_millis(500);
/// Trying to open a missing port costs next to nothing, and a streamer who plugs the board
/// back in expects it to come back at once.
const REOPEN_MAX: Duration = Duration::from_secs(2);

/// What became of a job on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Done,
    Failed(String),
    Expired,
    Rejected(String),
}

/// Says why a job must not run any more (a kill switch engaged while it waited), or `None`.
pub type Veto = Arc<dyn Fn() -> Option<String> + Send + Sync>;

pub struct BoardJob {
    pub name: String,
    pub duration_ms: u32,
    pub params: serde_json::Value,
    pub expires_at: i64,
    pub veto: Veto,
    pub reply: oneshot::Sender<JobResult>,
}

/// What the board looks like now, for status frames and the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardStatus {
    pub serial: SerialState,
    pub detail: Option<String>,
    /// `name version` from its `HELLO`.
    pub firmware: Option<String>,
    /// The commands its `HELLO` declared.
    pub commands: Option<Vec<String>>,
}

impl BoardStatus {
    /// A board we know nothing about (no HELLO yet), in state `serial`.
    fn unknown(serial: SerialState, detail: impl Into<String>) -> Self {
        BoardStatus {
            serial,
            detail: Some(detail.into()),
            firmware: None,
            commands: None,
        }
    }

    fn closed(detail: impl Into<String>) -> Self {
        Self::unknown(SerialState::Closed, detail)
    }
}

#[derive(Clone)]
pub struct BoardHandle {
    pub path: String,
    jobs: mpsc::Sender<BoardJob>,
    stop: mpsc::UnboundedSender<String>,
    status: watch::Receiver<BoardStatus>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    Busy,
    Gone,
}

impl BoardHandle {
    /// Starts the board's task (inside a tokio runtime).
    pub fn open(path: &str, baud: u32) -> BoardHandle {
        let (jobs, jobs_rx) = mpsc::channel(QUEUE_PER_BOARD);
        let (stop, stop_rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(BoardStatus::closed("opening"));
        let driver = Driver {
            path: path.to_owned(),
            baud,
            jobs: jobs_rx,
            stop: stop_rx,
            status: status_tx,
            seq: 0,
        };
        tokio::spawn(driver.run());
        BoardHandle {
            path: path.to_owned(),
            jobs,
            stop,
            status,
        }
    }

    /// Queues a job; never waits.
    pub fn submit(&self, job: BoardJob) -> Result<(), SubmitError> {
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SubmitError::Busy,
            mpsc::error::TrySendError::Closed(_) => SubmitError::Gone,
        })
    }

    /// Everything off, now, ahead of the queue. `why` goes to the log.
    pub fn stop(&self, why: &str) {
        let _ = self.stop.send(why.to_owned());
    }

    pub fn status(&self) -> watch::Receiver<BoardStatus> {
        self.status.clone()
    }
}

struct InFlight {
    seq: u32,
    job: BoardJob,
    deadline: Instant,
}

struct Driver {
    path: String,
    baud: u32,
    jobs: mpsc::Receiver<BoardJob>,
    stop: mpsc::UnboundedReceiver<String>,
    status: watch::Sender<BoardStatus>,
    seq: u32,
}

enum Ended {
    /// Every handle is gone: the agent is shutting down.
    Shutdown,
    /// The port closed or failed; reopen it.
    Lost(String),
}

impl Driver {
    async fn run(mut self) {
        let mut backoff = REOPEN_MIN;
        loop {
            let port = tokio_serial::new(&self.path, self.baud)
                .data_bits(tokio_serial::DataBits::Eight)
                .parity(tokio_serial::Parity::None)
                .stop_bits(tokio_serial::StopBits::One)
                .flow_control(tokio_serial::FlowControl::None)
                .open_native_async();
            match port {
                Ok(port) => {
                    tracing::info!(port = %self.path, "serial port open");
                    backoff = REOPEN_MIN;
                    match self.session(port).await {
                        Ended::Shutdown => return,
                        Ended::Lost(why) => {
                            tracing::warn!(port = %self.path, reason = %why, "serial port lost; reopening");
                            self.status.send_replace(BoardStatus::closed(why));
                        }
                    }
                }
                Err(err) => {
                    let detail = format!("cannot open {}: {err}", self.path);
                    if self.status.borrow().detail.as_deref() != Some(&detail) {
                        tracing::warn!(port = %self.path, error = %err, "cannot open the serial port; retrying");
                    }
                    self.status
                        .send_replace(BoardStatus::unknown(SerialState::Error, detail));
                }
            }
            // While the port is away, answer what arrives instead of letting it go stale.
            let until = Instant::now() + backoff;
            loop {
                tokio::select! {
                    _ = sleep_until(until) => break,
                    job = self.jobs.recv() => match job {
                        Some(job) => {
                            let _ = job.reply.send(JobResult::Failed("the serial port is not open".into()));
                        }
                        None => return,
                    },
                    why = self.stop.recv() => match why {
                        Some(why) => tracing::warn!(port = %self.path, reason = %why, "STOP wanted but the port is closed; the board stops by itself within 3 s"),
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(REOPEN_MAX);
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    async fn session(&mut self, port: SerialStream) -> Ended {
        let (read, mut write) = tokio::io::split(port);
        let (lines_tx, mut lines) = mpsc::channel::<Result<String, String>>(64);
        let reader = tokio::spawn(read_lines(read, lines_tx));
        let ended = self.drive(&mut write, &mut lines).await;
        reader.abort();
        // The reader holds the port's descriptor: wait until it is closed, or the reopen
        // would find our own exclusive lock still on the port.
        let _ = reader.await;
        ended
    }

    async fn drive(
        &mut self,
        write: &mut WriteHalf<SerialStream>,
        lines: &mut mpsc::Receiver<Result<String, String>>,
    ) -> Ended {
        let opened = Instant::now();
        let mut last_heard: Option<Instant> = None;
        let mut answering = false;
        let mut inflight: Option<InFlight> = None;
        // A job taken from the queue while the board has not answered yet (just opened, or
        // rebooting): it waits here until the board answers or the job expires.
        let mut waiting: Option<BoardJob> = None;
        let mut ping = tokio::time::interval(PING_EVERY);
        self.status.send_replace(BoardStatus::unknown(
            SerialState::Open,
            "waiting for the board",
        ));
        loop {
            let reply_deadline = inflight.as_ref().map(|f| f.deadline);
            let wait_deadline = waiting.as_ref().map(|j| deadline_of(j.expires_at));
            let take_job = inflight.is_none() && waiting.is_none();
            tokio::select! {
                biased;
                why = self.stop.recv() => {
                    let Some(why) = why else { return Ended::Shutdown };
                    tracing::warn!(port = %self.path, reason = %why, "STOP");
                    if let Err(e) = send(write, &AgentLine::Stop).await {
                        return Ended::Lost(e);
                    }
                    if let Some(job) = waiting.take() {
                        let _ = job.reply.send(JobResult::Rejected(format!("stopped: {why}")));
                    }
                }
                line = lines.recv() => match line {
                    Some(Ok(line)) => {
                        last_heard = Some(Instant::now());
                        if !answering {
                            // First word from the board, or its first after a silence.
                            answering = true;
                            let mut status = self.status.borrow().clone();
                            status.serial = SerialState::Open;
                            status.detail = None;
                            self.status.send_replace(status);
                        }
                        self.on_line(&line, &mut inflight);
                    }
                    Some(Err(why)) => return self.lose(inflight, waiting, why),
                    None => return self.lose(inflight, waiting, "the serial port closed".into()),
                },
                _ = sleep_until(reply_deadline.unwrap_or_else(far)), if reply_deadline.is_some() => {
                    if let Some(f) = inflight.take() {
                        tracing::warn!(port = %self.path, seq = f.seq, cmd = %f.job.name, "no reply from the board");
                        let _ = f.job.reply.send(JobResult::Failed("no reply from the board".into()));
                    }
                }
                _ = sleep_until(wait_deadline.unwrap_or_else(far)), if wait_deadline.is_some() => {
                    if let Some(job) = waiting.take() {
                        let _ = job.reply.send(JobResult::Failed("the board is not answering".into()));
                    }
                }
                _ = ping.tick() => {
                    let seq = self.next_seq();
                    if let Err(e) = send(write, &AgentLine::Ping { seq }).await {
                        return self.lose(inflight, waiting, e);
                    }
                    let silent_since = last_heard.unwrap_or(opened);
                    if answering && silent_since.elapsed() > SILENCE_LIMIT {
                        answering = false;
                        tracing::warn!(port = %self.path, "the board stopped answering");
                        self.status.send_replace(BoardStatus::unknown(
                            SerialState::Error,
                            "the board is not answering",
                        ));
                    }
                }
                job = self.jobs.recv(), if take_job => {
                    let Some(job) = job else { return Ended::Shutdown };
                    waiting = Some(job);
                }
            }
            if answering
                && inflight.is_none()
                && let Some(job) = waiting.take()
            {
                match self.start(write, job).await {
                    Ok(f) => inflight = f,
                    Err(e) => return self.lose(inflight, None, e),
                }
            }
        }
    }

    /// Writes a job's `CMD` line after the last checks; `None` when the job was answered here.
    async fn start(
        &mut self,
        write: &mut WriteHalf<SerialStream>,
        job: BoardJob,
    ) -> Result<Option<InFlight>, String> {
        if now_ms() >= job.expires_at {
            let _ = job.reply.send(JobResult::Expired);
            return Ok(None);
        }
        if let Some(why) = (job.veto)() {
            let _ = job.reply.send(JobResult::Rejected(why));
            return Ok(None);
        }
        if let Some(known) = &self.status.borrow().commands
            && !known.iter().any(|c| c == &job.name)
        {
            let _ = job.reply.send(JobResult::Rejected(format!(
                "the board's firmware does not declare {}",
                job.name
            )));
            return Ok(None);
        }
        let seq = self.next_seq();
        let line = match AgentLine::command(seq, &job.name, job.duration_ms, &job.params) {
            Ok(line) => line,
            Err(err) => {
                let _ = job.reply.send(JobResult::Rejected(err.to_string()));
                return Ok(None);
            }
        };
        if let Err(e) = send(write, &line).await {
            let _ = job
                .reply
                .send(JobResult::Failed("could not write to the board".into()));
            return Err(e);
        }
        tracing::debug!(port = %self.path, %line, "sent");
        Ok(Some(InFlight {
            seq,
            job,
            deadline: Instant::now() + REPLY_TIMEOUT,
        }))
    }

    fn on_line(&mut self, line: &str, inflight: &mut Option<InFlight>) {
        // A board that resets mid-line (DTR on open, a bootloader) leaves a stray byte or
        // two before its HELLO: read the HELLO anyway.
        let parsed = BoardLine::parse(line).or_else(|err| match line.find("HELLO ") {
            Some(at) if at > 0 => BoardLine::parse(&line[at..]),
            _ => Err(err),
        });
        match parsed {
            Ok(BoardLine::Hello {
                firmware,
                version,
                commands,
            }) => {
                tracing::info!(port = %self.path, %firmware, %version, commands = %commands.join(","), "board said HELLO");
                if let Some(f) = inflight.take() {
                    let _ = f
                        .job
                        .reply
                        .send(JobResult::Failed("the board restarted".into()));
                }
                self.status.send_replace(BoardStatus {
                    serial: SerialState::Open,
                    detail: None,
                    firmware: Some(format!("{firmware} {version}")),
                    commands: Some(commands),
                });
            }
            Ok(BoardLine::Ok { seq }) | Ok(BoardLine::Err { seq, .. })
                if inflight.as_ref().is_none_or(|f| f.seq != seq) =>
            {
                tracing::debug!(port = %self.path, seq, "answer for no command in flight; ignored");
            }
            Ok(BoardLine::Ok { .. }) => {
                if let Some(f) = inflight.take() {
                    let _ = f.job.reply.send(JobResult::Done);
                }
            }
            Ok(BoardLine::Err { reason, .. }) => {
                if let Some(f) = inflight.take() {
                    let _ = f
                        .job
                        .reply
                        .send(JobResult::Failed(format!("board: {reason}")));
                }
            }
            Ok(BoardLine::Pong { .. }) => {}
            Err(err) => {
                tracing::debug!(port = %self.path, error = %err, "ignoring a line from the board")
            }
        }
    }

    fn lose(&self, inflight: Option<InFlight>, waiting: Option<BoardJob>, why: String) -> Ended {
        if let Some(f) = inflight {
            let _ = f
                .job
                .reply
                .send(JobResult::Failed("the serial port closed".into()));
        }
        if let Some(job) = waiting {
            let _ = job
                .reply
                .send(JobResult::Failed("the serial port closed".into()));
        }
        Ended::Lost(why)
    }
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

fn deadline_of(expires_at_ms: i64) -> Instant {
    let left = u64::try_from(expires_at_ms - now_ms()).unwrap_or(0);
    Instant::now() + Duration::from_millis(left)
}

async fn send(write: &mut WriteHalf<SerialStream>, line: &AgentLine) -> Result<(), String> {
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(&line.encode())).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(format!("write failed: {err}")),
        Err(_) => Err("write timed out".into()),
    }
}

/// Reads lines until the port closes. A line longer than the protocol allows is dropped
/// whole, so a babbling board cannot grow memory.
async fn read_lines(
    read: tokio::io::ReadHalf<SerialStream>,
    out: mpsc::Sender<Result<String, String>>,
) {
    let mut reader = BufReader::new(read);
    let mut buf = Vec::with_capacity(MAX_LINE);
    let mut overlong = false;
    loop {
        let limit = (MAX_LINE + 2) as u64;
        let read = {
            use tokio::io::AsyncReadExt as _;
            (&mut reader).take(limit).read_until(b'\n', &mut buf).await
        };
        match read {
            Ok(0) => {
                let _ = out.send(Err("the serial port closed".into())).await;
                return;
            }
            Ok(_) if buf.last() == Some(&b'\n') => {
                if !overlong {
                    let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
                    if !line.is_empty() && out.send(Ok(line)).await.is_err() {
                        return;
                    }
                }
                overlong = false;
                buf.clear();
            }
            Ok(_) => {
                // No newline within the limit.
                overlong = true;
                buf.clear();
            }
            Err(err) => {
                let _ = out.send(Err(format!("read failed: {err}"))).await;
                return;
            }
        }
    }
}
