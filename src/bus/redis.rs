//! The event bus on Redis Streams, for several nodes.
//!
//! Publishing never waits: events go to a writer task that pipelines `XADD
//! stream:tiktok:{livestream_id} MAXLEN ~ n`. A subscriber is a consumer group shared by every
//! node (each event is handled once in the cluster): `XREADGROUP`, `XACK` after delivery, and
//! `XAUTOCLAIM` of entries a crashed consumer left pending. The first time the writer sees a
//! stream it creates every registered group on it before the first `XADD`, so no group can miss
//! the stream's first events.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::AsyncCommands as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{StreamAutoClaimOptions, StreamId, StreamReadOptions, StreamReadReply};
use tokio::sync::mpsc;

use crate::bus::{EventBus, Watch};
use crate::protocol::Event;
use crate::telemetry::metrics::BusMetrics;

const PUBLISH_QUEUE: usize = 65_536;
const BATCH: usize = 512;
const BLOCK_MS: usize = 200;
const REFRESH_KEYS: Duration = Duration::from_millis(500);

pub fn stream_key(livestream_id: &str) -> String {
    format!("stream:tiktok:{livestream_id}")
}

#[derive(Debug, Clone)]
pub struct RedisBusSettings {
    pub url: String,
    /// Approximate length cap of each stream.
    pub stream_maxlen: usize,
    /// Entries pending this long with a consumer are taken over (that consumer crashed).
    pub claim_idle_ms: u64,
    /// Prefix of livectl's own keys and group names: nodes of one installation share it.
    pub namespace: String,
}

impl RedisBusSettings {
    fn streams_key(&self) -> String {
        format!("{}:streams", self.namespace)
    }
    fn groups_key(&self) -> String {
        format!("{}:groups", self.namespace)
    }
    fn group(&self, name: &str) -> String {
        format!("{}:{name}", self.namespace)
    }
}

/// The label this bus's drops count under (a full queue or a failed write).
const DROP_LABEL: &str = "redis";

struct Shared {
    client: redis::Client,
    settings: RedisBusSettings,
    consumer: String,
    metrics: BusMetrics,
    up: AtomicBool,
    /// Grows each time Redis is found to have lost livectl's keys (a restart without
    /// persistence): the writer then registers its streams and groups again.
    epoch: AtomicU64,
}

pub struct RedisBus {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Arc<Event>>,
}

impl RedisBus {
    /// Connects (and checks the server answers) and starts the writer.
    pub async fn connect(
        settings: RedisBusSettings,
        metrics: BusMetrics,
    ) -> anyhow::Result<RedisBus> {
        let client = redis::Client::open(settings.url.as_str())?;
        let mut conn = client.get_connection_manager().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        let consumer = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into()),
            std::process::id(),
            crate::auth::secrets::random_alphanumeric(6)
        );
        let shared = Arc::new(Shared {
            client,
            settings,
            consumer,
            metrics,
            up: AtomicBool::new(true),
            epoch: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(health_loop(shared.clone(), conn.clone()));
        tokio::spawn(write_loop(shared.clone(), conn, rx));
        Ok(RedisBus { shared, tx })
    }

    pub fn is_up(&self) -> bool {
        self.shared.up.load(Ordering::Relaxed)
    }

    /// Subscribes as another consumer name (tests use it to play a second node).
    pub fn subscribe_as(
        &self,
        group: &str,
        consumer: &str,
        capacity: usize,
    ) -> mpsc::Receiver<Arc<Event>> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let group = self.shared.settings.group(group);
        tokio::spawn(read_loop(
            self.shared.clone(),
            group,
            consumer.to_owned(),
            tx,
        ));
        rx
    }
}

impl EventBus for RedisBus {
    fn publish(&self, event: Arc<Event>) {
        if self.tx.try_send(event).is_err() {
            self.shared.metrics.dropped(DROP_LABEL);
        }
    }

    fn subscribe(&self, name: &str, capacity: usize) -> mpsc::Receiver<Arc<Event>> {
        self.subscribe_as(name, &self.shared.consumer.clone(), capacity)
    }

    fn ready(&self) -> bool {
        self.is_up()
    }

    fn watch(&self, capacity: usize) -> Watch {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        // Stream ids are `<ms>-<seq>`: "from now" is taken here, when the view asks, not when
        // the task has connected, so nothing published in between is missed.
        let since = format!("{}-0", crate::ids::now_ms());
        tokio::spawn(watch_loop(self.shared.clone(), tx, dropped.clone(), since));
        Watch {
            events: rx,
            dropped,
        }
    }
}

/// Asks Redis every second whether it answers (`/readyz` reports it even when no event is
/// being written: an idle outage must not read "ok").
async fn health_loop(shared: Arc<Shared>, mut conn: ConnectionManager) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        // A marker key answers both questions: does Redis answer, and does it still hold
        // what livectl wrote (SET NX succeeds only where the marker is gone)?
        let mut command = redis::cmd("SET");
        command
            .arg(format!("{}:bus:marker", shared.settings.namespace))
            .arg(1)
            .arg("NX");
        let marked = command.query_async::<Option<String>>(&mut conn);
        let answer = tokio::time::timeout(Duration::from_secs(1), marked).await;
        let up = matches!(answer, Ok(Ok(_)));
        if let Ok(Ok(Some(_))) = answer
            && shared.epoch.fetch_add(1, Ordering::Relaxed) > 0
        {
            tracing::warn!(
                "Redis lost livectl's keys (restarted empty?); registering streams and consumer groups again"
            );
        }
        if shared.up.swap(up, Ordering::Relaxed) != up {
            if up {
                tracing::info!("Redis answers again");
            } else {
                tracing::error!("Redis does not answer; /readyz reports the bus down");
            }
        }
    }
}

/// Follows every stream from the watch's start with plain `XREAD` (no group: a watcher sees
/// everything, acknowledges nothing).
async fn watch_loop(
    shared: Arc<Shared>,
    tx: mpsc::Sender<Arc<Event>>,
    dropped: Arc<AtomicU64>,
    since: String,
) {
    let config = ConnectionManagerConfig::new().set_response_timeout(None);
    let Ok(mut conn) = shared
        .client
        .get_connection_manager_with_config(config)
        .await
    else {
        tracing::error!("cannot reach Redis for a live view");
        return;
    };
    let mut last: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut refreshed = Instant::now() - REFRESH_KEYS;
    while !tx.is_closed() {
        if refreshed.elapsed() >= REFRESH_KEYS {
            let all: HashSet<String> = conn
                .smembers(shared.settings.streams_key())
                .await
                .unwrap_or_default();
            for key in all {
                last.entry(key).or_insert_with(|| since.clone());
            }
            refreshed = Instant::now();
        }
        if last.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let keys: Vec<String> = last.keys().cloned().collect();
        let ids: Vec<String> = last.values().cloned().collect();
        let opts = StreamReadOptions::default().count(BATCH).block(BLOCK_MS);
        let reply: redis::RedisResult<Option<StreamReadReply>> =
            conn.xread_options(&keys, &ids, &opts).await;
        match reply {
            Ok(Some(reply)) => {
                for stream in reply.keys {
                    for entry in &stream.ids {
                        deliver_counted(&shared, entry, &tx, Some(&dropped));
                    }
                    if let Some(entry) = stream.ids.last() {
                        last.insert(stream.key.clone(), entry.id.clone());
                    }
                }
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(error = %err, "a live view could not read Redis; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// `XGROUP CREATE … $ MKSTREAM`; an existing group is fine.
async fn create_group(
    conn: &mut ConnectionManager,
    key: &str,
    group: &str,
) -> redis::RedisResult<()> {
    let created: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(group)
        .arg("$")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

async fn write_loop(
    shared: Arc<Shared>,
    mut conn: ConnectionManager,
    mut rx: mpsc::Receiver<Arc<Event>>,
) {
    let mut known: HashSet<String> = HashSet::new();
    let mut epoch = shared.epoch.load(Ordering::Relaxed);
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let events = std::mem::take(&mut batch);
        let now = shared.epoch.load(Ordering::Relaxed);
        if now != epoch {
            known.clear();
            epoch = now;
        }
        let fresh: HashSet<String> = events
            .iter()
            .map(|e| stream_key(&e.stream_id))
            .filter(|k| !known.contains(k))
            .collect();
        if !fresh.is_empty() {
            // Unknown groups (Redis did not answer) must not mark a stream known: its groups
            // would never be created, and their consumers would never see its events.
            let groups: Option<HashSet<String>> = match conn
                .smembers(shared.settings.groups_key())
                .await
            {
                Ok(groups) => Some(groups),
                Err(err) => {
                    tracing::warn!(error = %err, "could not read the consumer groups; retrying with the next batch");
                    None
                }
            };
            for key in fresh {
                let Some(groups) = &groups else { break };
                let mut ok = true;
                for group in groups {
                    ok &= create_group(&mut conn, &key, group).await.is_ok();
                }
                ok &= conn
                    .sadd::<_, _, ()>(shared.settings.streams_key(), &key)
                    .await
                    .is_ok();
                if ok {
                    known.insert(key);
                }
            }
        }
        let mut pipe = redis::pipe();
        for event in &events {
            let Ok(json) = serde_json::to_string(&**event) else {
                continue;
            };
            pipe.cmd("XADD")
                .arg(stream_key(&event.stream_id))
                .arg("MAXLEN")
                .arg("~")
                .arg(shared.settings.stream_maxlen)
                .arg("*")
                .arg("data")
                .arg(json)
                .ignore();
        }
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => {
                shared.metrics.published.inc_by(events.len() as u64);
                shared.up.store(true, Ordering::Relaxed);
            }
            Err(err) => {
                // The connection manager reconnects by itself; these events are lost (counted).
                for _ in 0..events.len() {
                    shared.metrics.dropped(DROP_LABEL);
                }
                shared.up.store(false, Ordering::Relaxed);
                tracing::error!(error = %err, lost = events.len(), "could not write events to Redis");
            }
        }
    }
}

/// The event a stream entry carries in its `data` field; `None` for an entry without one.
fn event_of(entry: &StreamId) -> Result<Option<Event>, serde_json::Error> {
    entry
        .get::<String>("data")
        .map(|data| serde_json::from_str::<Event>(&data))
        .transpose()
}

/// Hands an entry on. Always true (acknowledge it): an entry a full queue dropped is counted,
/// never redelivered later, because an event handled seconds late could still move hardware.
fn deliver(shared: &Shared, entry: &StreamId, tx: &mpsc::Sender<Arc<Event>>) -> bool {
    deliver_counted(shared, entry, tx, None)
}

/// [`deliver`], also counting a drop in `dropped` (a live view learns that it fell behind).
fn deliver_counted(
    shared: &Shared,
    entry: &StreamId,
    tx: &mpsc::Sender<Arc<Event>>,
    dropped: Option<&AtomicU64>,
) -> bool {
    match event_of(entry) {
        Ok(None) => true,
        Ok(Some(event)) => {
            if tx.try_send(Arc::new(event)).is_err() {
                shared.metrics.dropped(DROP_LABEL);
                if let Some(counter) = dropped {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
            true
        }
        Err(err) => {
            tracing::warn!(entry = %entry.id, error = %err, "skipping a stream entry that is not an event");
            true
        }
    }
}

async fn read_loop(
    shared: Arc<Shared>,
    group: String,
    consumer: String,
    tx: mpsc::Sender<Arc<Event>>,
) {
    // Blocking reads hold a multiplexed connection: this loop has its own, with no response
    // timeout shorter than the BLOCK.
    let config = ConnectionManagerConfig::new().set_response_timeout(None);
    let mut conn = loop {
        match shared
            .client
            .get_connection_manager_with_config(config.clone())
            .await
        {
            Ok(conn) => break conn,
            Err(err) => {
                tracing::error!(error = %err, "cannot reach Redis; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let _ = conn
        .sadd::<_, _, ()>(shared.settings.groups_key(), &group)
        .await;
    let mut keys: Vec<String> = Vec::new();
    let mut refreshed = Instant::now() - REFRESH_KEYS;
    let mut claimed = Instant::now();
    let claim_every = Duration::from_millis((shared.settings.claim_idle_ms / 2).max(100));
    while !tx.is_closed() {
        if refreshed.elapsed() >= REFRESH_KEYS {
            // Again each time: a Redis that restarted empty must learn of this group before
            // the writer registers streams anew.
            let _ = conn
                .sadd::<_, _, ()>(shared.settings.groups_key(), &group)
                .await;
            let all: HashSet<String> = conn
                .smembers(shared.settings.streams_key())
                .await
                .unwrap_or_default();
            for key in all.iter().filter(|k| !keys.contains(k)) {
                let _ = create_group(&mut conn, key, &group).await;
            }
            keys = all.into_iter().collect();
            keys.sort();
            refreshed = Instant::now();
        }
        if keys.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        if claimed.elapsed() >= claim_every {
            for key in &keys {
                let opts = StreamAutoClaimOptions::default().count(BATCH);
                let reply: redis::RedisResult<redis::streams::StreamAutoClaimReply> = conn
                    .xautoclaim_options(
                        key,
                        &group,
                        &consumer,
                        shared.settings.claim_idle_ms,
                        "0-0",
                        opts,
                    )
                    .await;
                if let Ok(reply) = reply
                    && !reply.claimed.is_empty()
                {
                    shared.metrics.reclaimed.inc_by(reply.claimed.len() as u64);
                    tracing::warn!(stream = %key, entries = reply.claimed.len(), "took over events a stopped consumer had not acknowledged");
                    let ids: Vec<&str> = reply
                        .claimed
                        .iter()
                        .filter(|e| deliver(&shared, e, &tx))
                        .map(|e| e.id.as_str())
                        .collect();
                    let _ = conn.xack::<_, _, _, ()>(key, &group, &ids).await;
                }
            }
            claimed = Instant::now();
        }
        let opts = StreamReadOptions::default()
            .group(&group, &consumer)
            .count(BATCH)
            .block(BLOCK_MS);
        let ids = vec![">"; keys.len()];
        let reply: redis::RedisResult<Option<StreamReadReply>> =
            conn.xread_options(&keys, &ids, &opts).await;
        match reply {
            Ok(Some(reply)) => {
                for stream in reply.keys {
                    let ids: Vec<&str> = stream
                        .ids
                        .iter()
                        .filter(|e| deliver(&shared, e, &tx))
                        .map(|e| e.id.as_str())
                        .collect();
                    if !ids.is_empty() {
                        let _ = conn.xack::<_, _, _, ()>(&stream.key, &group, &ids).await;
                    }
                }
            }
            Ok(None) => {}
            Err(err) => {
                if err.code() == Some("NOGROUP") {
                    refreshed = Instant::now() - REFRESH_KEYS;
                    keys.clear();
                } else {
                    tracing::warn!(error = %err, "reading events from Redis failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::protocol::EventKind;

    fn entry(fields: &[(&str, &str)]) -> StreamId {
        StreamId {
            id: "1700000000000-0".into(),
            map: fields
                .iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        redis::Value::BulkString(v.as_bytes().to_vec()),
                    )
                })
                .collect::<HashMap<_, _>>(),
            ..Default::default()
        }
    }

    #[test]
    fn an_entry_carries_its_event_as_json_in_data() {
        let event = Event {
            id: "evt_1".into(),
            workspace_id: "ws_1".into(),
            stream_id: "ls_1".into(),
            kind: EventKind::Comment {
                text: "spin".into(),
                user: Default::default(),
            },
            ts: 5,
            simulated: true,
        };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(event_of(&entry(&[("data", &json)])).unwrap(), Some(event));
    }

    #[test]
    fn an_entry_without_data_is_skipped_and_garbage_is_an_error() {
        assert_eq!(event_of(&entry(&[("other", "x")])).unwrap(), None);
        assert!(event_of(&entry(&[("data", "{not json")])).is_err());
        assert!(event_of(&entry(&[("data", r#"{"event_type":"teleport"}"#)])).is_err());
    }

    #[test]
    fn each_livestream_has_its_own_stream() {
        assert_eq!(stream_key("ls_01"), "stream:tiktok:ls_01");
    }
}
