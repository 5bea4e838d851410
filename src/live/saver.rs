//! Saves livestream state for every actor through one task: updates are coalesced by stream
//! and written in batches, one transaction at a time. Ten thousand actors changing status at
//! once make a handful of transactions, not ten thousand blocking tasks.

use std::collections::HashMap;

use tokio::sync::mpsc;

use crate::db::{Db, write_transaction};
use crate::live::model::{self, Runtime};

const QUEUE: usize = 65_536;
const BATCH: usize = 2_048;

#[derive(Clone)]
pub struct StateSaver {
    tx: mpsc::Sender<(String, (Runtime, i64))>,
}

impl StateSaver {
    pub fn start(db: Db) -> StateSaver {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(db, rx));
        StateSaver { tx }
    }

    /// Queues a save under the lease's fencing token (0 without leases); false when the
    /// queue is full (the caller keeps it dirty and retries).
    pub fn save(&self, livestream_id: &str, runtime: Runtime, fence: i64) -> bool {
        self.tx
            .try_send((livestream_id.to_owned(), (runtime, fence)))
            .is_ok()
    }
}

async fn write_loop(db: Db, mut rx: mpsc::Receiver<(String, (Runtime, i64))>) {
    let mut buf = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut buf, BATCH).await > 0 {
        let latest: HashMap<String, (Runtime, i64)> = buf.drain(..).collect();
        let result = db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    for (id, (rt, fence)) in &latest {
                        model::save_runtime(conn, id, rt, *fence)?;
                    }
                    Ok(())
                })
            })
            .await;
        if let Err(err) = result {
            tracing::warn!(error = ?err, "could not save livestream state");
        }
    }
}
