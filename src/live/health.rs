//! What the rules know of each livestream's feed: live, reconnecting, ended… (`arm` and
//! `pause_on_feed_trouble`, `games.md` § Rule options).
//!
//! Two sources, the newer wins: the `stream_status` events this node's rule engine sees
//! (at once), and the `livestreams` table, which the node holding a livestream keeps current
//! and every node reads once a second (so that with several nodes, each of which sees only
//! part of a stream's events, all of them know).

use std::collections::HashMap;

use parking_lot::RwLock;

use crate::live::model::Status;
use crate::protocol::StreamStatus;

/// A feed's state as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Live,
    /// The connection dropped and is being made again, or TikTok went silent (a stall ends
    /// in a reconnect).
    Reconnecting,
    /// Paused by the streamer.
    Paused,
    /// Not connected, ended, or never seen.
    NotLive,
}

impl Feed {
    pub fn of_status(status: Status) -> Feed {
        match status {
            Status::Live => Feed::Live,
            Status::Reconnecting | Status::Connecting => Feed::Reconnecting,
            Status::Idle | Status::Offline | Status::Ended | Status::Error => Feed::NotLive,
        }
    }

    pub fn of_event(status: StreamStatus) -> Feed {
        match status {
            StreamStatus::Live | StreamStatus::Unpaused => Feed::Live,
            StreamStatus::Reconnecting => Feed::Reconnecting,
            StreamStatus::Paused => Feed::Paused,
            StreamStatus::Ended | StreamStatus::Disconnected => Feed::NotLive,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Feed::Live => "live",
            Feed::Reconnecting => "reconnecting",
            Feed::Paused => "paused",
            Feed::NotLive => "not live",
        }
    }
}

#[derive(Default)]
pub struct FeedHealth {
    /// livestream → its state and when it was known (ms).
    feeds: RwLock<HashMap<String, (Feed, i64)>>,
}

impl FeedHealth {
    /// Keeps `feed` for `livestream_id` unless something newer is known.
    pub fn note(&self, livestream_id: &str, feed: Feed, at: i64) {
        let mut feeds = self.feeds.write();
        match feeds.get(livestream_id) {
            Some((_, known)) if *known > at => {}
            _ => {
                feeds.insert(livestream_id.to_owned(), (feed, at));
            }
        }
    }

    pub fn feed(&self, livestream_id: &str) -> Feed {
        self.feeds
            .read()
            .get(livestream_id)
            .map_or(Feed::NotLive, |(feed, _)| *feed)
    }

    pub fn forget(&self, livestream_id: &str) {
        self.feeds.write().remove(livestream_id);
    }
}

/// The livestreams' states written at or after `since` (ms), and when.
pub fn load_feeds(
    conn: &mut crate::db::DbConnection,
    since: i64,
) -> crate::error::AppResult<Vec<(String, Status, i64)>> {
    use crate::db::schema::livestreams;
    use diesel::prelude::*;
    Ok(livestreams::table
        .filter(livestreams::updated_at.ge(since))
        .select((
            livestreams::id,
            livestreams::status,
            livestreams::updated_at,
        ))
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newer_word_wins() {
        let health = FeedHealth::default();
        assert_eq!(health.feed("ls_1"), Feed::NotLive, "unknown is not live");
        health.note("ls_1", Feed::Live, 100);
        health.note("ls_1", Feed::Reconnecting, 200);
        // The table's older row does not undo the event seen since.
        health.note("ls_1", Feed::Live, 150);
        assert_eq!(health.feed("ls_1"), Feed::Reconnecting);
        health.note("ls_1", Feed::Live, 300);
        assert_eq!(health.feed("ls_1"), Feed::Live);
    }
}
