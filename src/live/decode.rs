//! From TikTok bytes to normalised events: push frames, gzip (capped), per-method decoding,
//! and the per-stream state the contract asks for: `msg_id` de-duplication over 15 minutes,
//! gift streaks that fire once (at `repeat_end`, or after 10 s without one), and stream end.

use std::collections::{HashMap, VecDeque};
use std::io::Read as _;

use prost::Message as _;

use crate::live::pb;
use crate::live::super_fan;
use crate::protocol::{EventKind, EventUser, StreamStatus};

/// The largest payload we inflate: real batches are a few KiB, a bomb is gigabytes.
pub const MAX_INFLATED_BYTES: u64 = 4 * 1024 * 1024;
/// How long a `msg_id` is remembered.
pub const DEDUPE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Remembered ids at most (a very busy stream sends far fewer in 15 minutes).
const DEDUPE_MAX_IDS: usize = 500_000;
/// A streak with no `repeat_end` for this long is closed with its last count.
pub const STREAK_TIMEOUT_MS: i64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("bad protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("bad gzip: {0}")]
    Gzip(std::io::Error),
    #[error("inflated payload is larger than {MAX_INFLATED_BYTES} bytes")]
    TooLarge,
}

pub fn decode_push_frame(bytes: &[u8]) -> Result<pb::PushFrame, DecodeError> {
    Ok(pb::PushFrame::decode(bytes)?)
}

fn is_gzip(frame: &pb::PushFrame) -> bool {
    frame
        .headers
        .get("compress_type")
        .is_some_and(|v| v == "gzip")
        || frame.payload.starts_with(&[0x1f, 0x8b, 0x08])
}

/// The `WebcastResponse` inside a `msg` frame.
pub fn response_of(frame: &pb::PushFrame) -> Result<pb::WebcastResponse, DecodeError> {
    if is_gzip(frame) {
        let inflated = inflate_capped(&frame.payload)?;
        Ok(pb::WebcastResponse::decode(inflated.as_slice())?)
    } else {
        Ok(pb::WebcastResponse::decode(frame.payload.as_slice())?)
    }
}

/// Gunzips at most [`MAX_INFLATED_BYTES`]; more is an error, not an allocation.
pub fn inflate_capped(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(1 << 20));
    flate2::read::GzDecoder::new(data)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(DecodeError::Gzip)?;
    if out.len() as u64 > MAX_INFLATED_BYTES {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

/// The ack TikTok expects for a frame whose response had `need_ack`.
pub fn ack_frame(log_id: u64, internal_ext: &str) -> Vec<u8> {
    let payload = if internal_ext.is_empty() {
        "-"
    } else {
        internal_ext
    };
    pb::PushFrame {
        log_id,
        payload_type: "ack".into(),
        payload_encoding: "pb".into(),
        payload: payload.as_bytes().to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

pub fn heartbeat_frame(room_id: u64, seq: u64) -> Vec<u8> {
    let beat = pb::HeartBeat {
        room_id,
        send_packet_seq_id: seq,
    };
    pb::PushFrame {
        payload_type: "hb".into(),
        payload_encoding: "pb".into(),
        payload: beat.encode_to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

pub fn enter_room_frame(room_id: i64) -> Vec<u8> {
    let enter = pb::ImEnterRoom {
        room_id,
        live_id: 12,
        identity: "audience".into(),
        filter_welcome_msg: "0".into(),
        ..Default::default()
    };
    pb::PushFrame {
        payload_type: "im_enter_room".into(),
        payload_encoding: "pb".into(),
        payload: enter.encode_to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

fn user_of(user: Option<pb::User>) -> EventUser {
    let user = user.unwrap_or_default();
    EventUser {
        id: if user.id_str.is_empty() {
            user.id.to_string()
        } else {
            user.id_str
        },
        unique_id: user.unique_id,
        nickname: user.nickname,
    }
}

/// One gift message of a streak (or a single non-streakable gift).
#[derive(Debug, Clone, PartialEq)]
pub struct GiftStep {
    pub user: EventUser,
    pub gift_id: i64,
    pub gift_name: String,
    pub diamond_count: i64,
    pub repeat_count: i64,
    pub repeat_end: bool,
    pub streakable: bool,
    /// TikTok's id of the streak (with the viewer and the gift, what keys it).
    pub group_id: i64,
    /// The gift's picture on TikTok's CDN, when the message carries one.
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(EventKind),
    Gift(GiftStep),
    /// Control action 3 (ended by the host) or 4 (ended by TikTok).
    Ended,
}

/// A decoded TikTok message: its id, its time, what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub msg_id: i64,
    pub create_time: Option<i64>,
    pub item: Item,
}

fn common_parts(common: Option<pb::Common>) -> (i64, Option<i64>, String) {
    let common = common.unwrap_or_default();
    let ts = (common.create_time > 0).then_some(common.create_time);
    let key = common.display_text.map(|t| t.key).unwrap_or_default();
    (common.msg_id, ts, key)
}

/// Decodes one message by its method name. `Ok(None)` for types livectl does not use.
pub fn decode_message(method: &str, payload: &[u8]) -> Result<Option<Decoded>, DecodeError> {
    let (common, item) = match method {
        "WebcastChatMessage" => {
            let m = pb::ChatMessage::decode(payload)?;
            let item = Item::Event(EventKind::Comment {
                text: m.content,
                user: user_of(m.user),
            });
            (m.common, item)
        }
        "WebcastGiftMessage" => {
            let m = pb::GiftMessage::decode(payload)?;
            let gift = m.gift.unwrap_or_default();
            let item = Item::Gift(GiftStep {
                user: user_of(m.user),
                gift_id: if m.gift_id != 0 { m.gift_id } else { gift.id },
                gift_name: gift.name,
                diamond_count: i64::from(gift.diamond_count),
                repeat_count: i64::from(m.repeat_count.max(1)),
                repeat_end: m.repeat_end == 1,
                streakable: gift.r#type == 1,
                group_id: m.group_id,
                image_url: gift
                    .image
                    .and_then(|i| i.url.into_iter().find(|u| u.starts_with("https://"))),
            });
            (m.common, item)
        }
        "WebcastLikeMessage" => {
            let m = pb::LikeMessage::decode(payload)?;
            let item = Item::Event(EventKind::Like {
                count: i64::from(m.count),
                total: i64::from(m.total),
                user: user_of(m.user),
            });
            (m.common, item)
        }
        "WebcastSocialMessage" => {
            let m = pb::SocialMessage::decode(payload)?;
            let key = m
                .common
                .as_ref()
                .and_then(|c| c.display_text.as_ref())
                .map(|t| t.key.as_str())
                .unwrap_or_default();
            let user = user_of(m.user);
            let item = match m.action {
                1 => EventKind::Follow { user },
                3 => EventKind::Share { user },
                _ if key.contains("follow") => EventKind::Follow { user },
                _ if key.contains("share") => EventKind::Share { user },
                _ => return Ok(None),
            };
            (m.common, Item::Event(item))
        }
        "WebcastMemberMessage" => {
            let m = pb::MemberMessage::decode(payload)?;
            // Action 3 was "subscribed": TikTok retired subscriptions (Super Fan replaced them).
            let item = match m.action {
                1 => EventKind::Join {
                    user: user_of(m.user),
                },
                _ => return Ok(None),
            };
            (m.common, Item::Event(item))
        }
        "WebcastEmoteChatMessage" => {
            let m = pb::EmoteChatMessage::decode(payload)?;
            // An emote reaches rules as a comment whose text is the emote's id.
            let emote = pb::EmoteDetails::decode(m.emote.as_slice())
                .ok()
                .map(|d| d.emote_id)
                .filter(|id| !id.is_empty())
                .or_else(|| String::from_utf8(m.emote).ok())
                .unwrap_or_default();
            let item = Item::Event(EventKind::Comment {
                text: emote,
                user: user_of(m.user),
            });
            (m.common, item)
        }
        "WebcastBarrageMessage" => {
            // Super Fan notices: which one is in a display key inside the message, whose
            // fields have moved between schemas, so the payload is searched for it.
            if !super_fan::became(payload) {
                return Ok(None);
            }
            let common = pb::Common::decode(super_fan::field(payload, 1).unwrap_or_default()).ok();
            let item = Item::Event(EventKind::SuperFan {
                user: user_of(super_fan::find_user(payload)),
            });
            (common, item)
        }
        "WebcastEnvelopeMessage" => {
            let m = pb::EnvelopeMessage::decode(payload)?;
            let info = m.envelope_info.unwrap_or_default();
            if info.business_type != super_fan::BOX_BUSINESS_TYPE {
                return Ok(None);
            }
            let item = Item::Event(EventKind::SuperFanBox {
                diamonds: i64::from(info.diamond_count.max(0)),
                user: user_of(super_fan::find_user(payload)),
            });
            (m.common, item)
        }
        "WebcastRoomUserSeqMessage" => {
            let m = pb::RoomUserSeqMessage::decode(payload)?;
            let item = Item::Event(EventKind::ViewerCount {
                viewers: m.total,
                total_viewers: m.total_user,
            });
            (m.common, item)
        }
        "WebcastControlMessage" => {
            let m = pb::ControlMessage::decode(payload)?;
            let item = match m.action {
                1 => Item::Event(EventKind::StreamStatus {
                    status: StreamStatus::Paused,
                }),
                2 => Item::Event(EventKind::StreamStatus {
                    status: StreamStatus::Unpaused,
                }),
                3 | 4 => Item::Ended,
                _ => return Ok(None),
            };
            (m.common, item)
        }
        _ => return Ok(None),
    };
    let (msg_id, create_time, _key) = common_parts(common);
    Ok(Some(Decoded {
        msg_id,
        create_time,
        item,
    }))
}

/// `msg_id`s seen in the last 15 minutes.
#[derive(Default)]
struct Dedupe {
    seen: HashMap<i64, i64>,
    order: VecDeque<(i64, i64)>,
}

impl Dedupe {
    /// True the first time an id is seen (id 0 means "no id": never a duplicate).
    fn first_time(&mut self, msg_id: i64, now_ms: i64) -> bool {
        if msg_id == 0 {
            return true;
        }
        while let Some(&(id, at)) = self.order.front() {
            if now_ms - at < DEDUPE_WINDOW_MS && self.order.len() < DEDUPE_MAX_IDS {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&id) == Some(&at) {
                self.seen.remove(&id);
            }
        }
        if self.seen.contains_key(&msg_id) {
            return false;
        }
        self.seen.insert(msg_id, now_ms);
        self.order.push_back((msg_id, now_ms));
        true
    }
}

struct Streak {
    step: GiftStep,
    ts: i64,
    last_seen_ms: i64,
}

/// What a batch of messages produced.
#[derive(Debug, Default)]
pub struct Output {
    /// Events with their time (ms).
    pub events: Vec<(EventKind, i64)>,
    /// Gifts seen, for the gift catalogue.
    pub gifts: Vec<crate::live::gifts::GiftInfo>,
    pub ended: bool,
    pub duplicates: usize,
    pub errors: usize,
}

/// How long a streak closed by the timeout is remembered: its late `repeat_end` is dropped.
const CLOSED_STREAKS_MS: i64 = 120_000;

/// A streak as TikTok keys it: the viewer, the gift, the streak's group id.
type StreakKey = (String, i64, i64);

/// The state of one livestream's decoding.
#[derive(Default)]
pub struct StreamDecoder {
    dedupe: Dedupe,
    streaks: HashMap<StreakKey, Streak>,
    /// Streaks closed by the timeout, and when.
    closed: HashMap<StreakKey, i64>,
    /// The highest room like total TikTok has sent (its shards send stale, lower ones).
    like_total: i64,
}

impl StreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a batch. With `backlog` (the connect-time history) nothing is emitted, but ids are
    /// remembered so that the same messages arriving again later are dropped.
    pub fn ingest(&mut self, response: &pb::WebcastResponse, now_ms: i64, backlog: bool) -> Output {
        let mut out = Output::default();
        for message in &response.messages {
            let decoded = match decode_message(&message.method, &message.payload) {
                Ok(Some(decoded)) => decoded,
                Ok(None) => continue,
                Err(err) => {
                    tracing::debug!(method = %message.method, error = %err, "skipping a message that does not decode");
                    out.errors += 1;
                    continue;
                }
            };
            let msg_id = if message.msg_id != 0 {
                message.msg_id
            } else {
                decoded.msg_id
            };
            if !self.dedupe.first_time(msg_id, now_ms) {
                out.duplicates += 1;
                continue;
            }
            if backlog {
                continue;
            }
            self.apply(decoded, now_ms, &mut out);
        }
        out
    }

    /// Applies one decoded message (already de-duplicated).
    pub fn apply(&mut self, decoded: Decoded, now_ms: i64, out: &mut Output) {
        let ts = decoded.create_time.unwrap_or(now_ms);
        match decoded.item {
            Item::Event(EventKind::Like { count, total, user }) => {
                self.like_total = self.like_total.max(total);
                let total = self.like_total;
                out.events
                    .push((EventKind::Like { count, total, user }, ts));
            }
            Item::Event(kind) => out.events.push((kind, ts)),
            Item::Ended => {
                out.events.push((
                    EventKind::StreamStatus {
                        status: StreamStatus::Ended,
                    },
                    ts,
                ));
                out.ended = true;
            }
            Item::Gift(step) if !step.streakable => {
                out.gifts.push(crate::live::gifts::GiftInfo::of(&step));
                out.events.push((gift_event(&step), ts))
            }
            Item::Gift(step) => {
                out.gifts.push(crate::live::gifts::GiftInfo::of(&step));
                let key = (step.user.id.clone(), step.gift_id, step.group_id);
                self.closed.retain(|_, at| now_ms - *at < CLOSED_STREAKS_MS);
                if self.closed.contains_key(&key) {
                    // The timeout already counted this streak: its late end (or a straggler)
                    // is not a second gift.
                    if step.repeat_end {
                        self.closed.remove(&key);
                    }
                } else if step.repeat_end {
                    self.streaks.remove(&key);
                    out.events.push((gift_event(&step), ts));
                } else {
                    self.streaks.insert(
                        key,
                        Streak {
                            step,
                            ts,
                            last_seen_ms: now_ms,
                        },
                    );
                }
            }
        }
    }

    /// Closes streaks that saw no end for [`STREAK_TIMEOUT_MS`], with their last count.
    pub fn flush_stale_streaks(&mut self, now_ms: i64) -> Vec<(EventKind, i64)> {
        let mut closed = Vec::new();
        let mut keys = Vec::new();
        self.streaks.retain(|key, streak| {
            if now_ms - streak.last_seen_ms >= STREAK_TIMEOUT_MS {
                closed.push((gift_event(&streak.step), streak.ts));
                keys.push(key.clone());
                false
            } else {
                true
            }
        });
        for key in keys {
            self.closed.insert(key, now_ms);
        }
        closed
    }

    pub fn open_streaks(&self) -> usize {
        self.streaks.len()
    }
}

fn gift_event(step: &GiftStep) -> EventKind {
    EventKind::Gift {
        gift_id: step.gift_id,
        gift_name: step.gift_name.clone(),
        diamond_count: step.diamond_count,
        repeat_count: step.repeat_count,
        total_diamonds: step.repeat_count.saturating_mul(step.diamond_count),
        user: step.user.clone(),
    }
}

#[cfg(test)]
mod streak_tests {
    use super::*;

    fn step(repeat_count: i64, repeat_end: bool, group_id: i64) -> Decoded {
        Decoded {
            msg_id: 0,
            create_time: Some(1),
            item: Item::Gift(GiftStep {
                user: EventUser {
                    id: "9".into(),
                    unique_id: "nine".into(),
                    nickname: "Nine".into(),
                },
                gift_id: 5655,
                gift_name: "Rose".into(),
                diamond_count: 1,
                repeat_count,
                repeat_end,
                streakable: true,
                group_id,
                image_url: None,
            }),
        }
    }

    #[test]
    fn a_repeat_end_after_the_timeout_is_not_a_second_gift() {
        let mut decoder = StreamDecoder::new();
        let mut out = Output::default();
        decoder.apply(step(3, false, 1), 0, &mut out);
        assert!(out.events.is_empty());
        let closed = decoder.flush_stale_streaks(STREAK_TIMEOUT_MS);
        assert_eq!(closed.len(), 1);
        // The end arrives late: nothing more.
        decoder.apply(step(4, true, 1), STREAK_TIMEOUT_MS + 1_000, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        // Another streak of the same gift (another group id) counts on its own.
        decoder.apply(step(2, true, 2), STREAK_TIMEOUT_MS + 2_000, &mut out);
        assert_eq!(out.events.len(), 1);
    }
}
