//! The agent's last commands, newest first, for its local status page.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;

const KEPT: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub at_ms: i64,
    /// `14:03:07`, this computer's time.
    pub time: String,
    pub device: String,
    pub cmd: String,
    pub status: String,
    pub detail: Option<String>,
}

#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<VecDeque<Entry>>>);

impl Journal {
    pub fn note(&self, device: &str, cmd: &str, status: &str, detail: Option<&str>) {
        let mut entries = self.0.lock();
        entries.push_front(Entry {
            at_ms: crate::ids::now_ms(),
            time: chrono::Local::now().format("%H:%M:%S").to_string(),
            device: device.to_owned(),
            cmd: cmd.to_owned(),
            status: status.to_owned(),
            detail: detail.map(str::to_owned),
        });
        entries.truncate(KEPT);
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.0.lock().iter().cloned().collect()
    }
}
