//! A board emulator on one end of a real pseudo-terminal pair made by `socat`: it speaks the
//! serial line protocol of `protocols.md` §5 (HELLO on open, PONG, OK / ERR, STOP) and
//! reports every line it hears, with the time it heard it. Its behaviour can be changed while
//! it runs (fail a command, stop answering).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::sync::mpsc;
use tokio_serial::SerialPortBuilderExt as _;

/// Two linked ptys: the agent opens `agent_end`, the emulator `board_end`.
pub struct PtyPair {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PtyPair {
    pub fn new() -> PtyPair {
        let dir = tempfile::tempdir().unwrap();
        let mut pair = PtyPair { dir, child: None };
        pair.plug();
        pair
    }

    pub fn agent_end(&self) -> String {
        self.dir.path().join("agent").display().to_string()
    }

    pub fn board_end(&self) -> PathBuf {
        self.dir.path().join("board")
    }

    /// (Re)creates the pair, as if the USB cable were plugged in.
    pub fn plug(&mut self) {
        self.remove_links();
        let link = |name: &str| {
            format!(
                "pty,raw,echo=0,link={}",
                self.dir.path().join(name).display()
            )
        };
        let child = Command::new("socat")
            .args([link("agent"), link("board")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat (scripts/test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.dir.path().join("agent").exists() && self.board_end().exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("socat made no pty pair");
    }

    /// Ends the pair, as if the cable were pulled: the ports vanish.
    pub fn unplug(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM, not SIGKILL: socat then removes its links. A link left behind would
            // point at a pty number the kernel hands out again, maybe to the next pair.
            let pid = libc::pid_t::try_from(child.id()).unwrap();
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let _ = child.wait();
        }
        self.remove_links();
    }

    fn remove_links(&self) {
        for name in ["agent", "board"] {
            let _ = std::fs::remove_file(self.dir.path().join(name));
        }
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        self.unplug();
    }
}

#[derive(Debug, Clone)]
pub struct Heard {
    pub line: String,
    pub at: Instant,
}

#[derive(Debug, Default)]
pub struct Behaviour {
    /// Commands answered with `ERR`.
    pub fail: HashSet<String>,
    /// Hear `CMD` lines but never answer them.
    pub mute_commands: bool,
    /// Never answer `PING`.
    pub mute_pings: bool,
}

pub struct Board {
    pub heard: mpsc::UnboundedReceiver<Heard>,
    pub behaviour: Arc<Mutex<Behaviour>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Board {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Board {
    /// Opens the board end and says HELLO with these commands.
    pub async fn start(path: &Path, commands: &[&str]) -> Board {
        // An emulator that was just dropped may still hold the lock for a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        let port = loop {
            match tokio_serial::new(path.display().to_string(), 115_200).open_native_async() {
                Ok(port) => break port,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(err) => panic!("open the board end of the pty: {err}"),
            }
        };
        let (tx, heard) = mpsc::unbounded_channel();
        let behaviour = Arc::new(Mutex::new(Behaviour::default()));
        let hello = format!("HELLO livectl-emulator 1.0 cmds={}\n", commands.join(","));
        let b = behaviour.clone();
        let task = tokio::spawn(async move {
            let (read, mut write) = tokio::io::split(port);
            let _ = write.write_all(hello.as_bytes()).await;
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let at = Instant::now();
                let words: Vec<&str> = line.split(' ').collect();
                let reply = {
                    let b = b.lock();
                    match words.as_slice() {
                        ["PING", seq] if !b.mute_pings => Some(format!("PONG {seq}\n")),
                        ["CMD", seq, name, ..] if !b.mute_commands => {
                            Some(if b.fail.contains(*name) {
                                format!("ERR {seq} motor jammed\n")
                            } else {
                                format!("OK {seq}\n")
                            })
                        }
                        _ => None,
                    }
                };
                if tx.send(Heard { line, at }).is_err() {
                    return;
                }
                if let Some(reply) = reply
                    && write.write_all(reply.as_bytes()).await.is_err()
                {
                    return;
                }
            }
        });
        Board {
            heard,
            behaviour,
            task,
        }
    }

    /// The next line starting with `prefix` (PINGs and others skipped), within `within`.
    pub async fn expect(&mut self, prefix: &str, within: Duration) -> Heard {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.heard.recv()).await {
                Ok(Some(h)) if h.line.starts_with(prefix) => return h,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the board emulator stopped"),
                Err(_) => panic!("the board heard no {prefix:?} within {within:?}"),
            }
        }
    }

    /// Asserts that no line starting with `prefix` arrives within `within`.
    pub async fn expect_none(&mut self, prefix: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.heard.recv()).await {
                Ok(Some(h)) if h.line.starts_with(prefix) => {
                    panic!("the board heard {:?}, which it should not", h.line)
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// A board that is not plugged anywhere (a placeholder while a cable is out).
    pub fn idle() -> Board {
        let (_tx, heard) = mpsc::unbounded_channel();
        Board {
            heard,
            behaviour: Arc::default(),
            task: tokio::spawn(async {}),
        }
    }

    /// Forgets what was heard so far.
    pub fn clear(&mut self) {
        while self.heard.try_recv().is_ok() {}
    }
}
