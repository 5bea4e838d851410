//! The real captures in `../shared/fixtures/tiktok-webcast/` (read in place, never copied):
//! every message decodes, values match the fact sheet, streaks fire once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use livectl::live::decode::{
    Decoded, Item, Output, STREAK_TIMEOUT_MS, StreamDecoder, decode_message,
};
use livectl::protocol::{EventKind, StreamStatus};

fn fixture(name: &str) -> BTreeMap<String, Vec<Vec<u8>>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/tiktok-webcast")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: BTreeMap<String, Vec<serde_json::Value>> = serde_json::from_str(&text).unwrap();
    json.into_iter()
        .map(|(method, items)| {
            let payloads = items
                .iter()
                .map(|i| {
                    base64::engine::general_purpose::STANDARD
                        .decode(i["eventData"].as_str().unwrap())
                        .unwrap()
                })
                .collect();
            (method, payloads)
        })
        .collect()
}

fn decode_all(file: &str, method: &str) -> Vec<Decoded> {
    fixture(file)[method]
        .iter()
        .map(|p| {
            decode_message(method, p)
                .unwrap()
                .expect("a message type livectl uses")
        })
        .collect()
}

#[test]
fn every_captured_message_decodes() {
    let mut total = 0;
    for file in ["ab.json", "dupa.json", "giftsCollector.json", "jw.json"] {
        for (method, payloads) in fixture(file) {
            for payload in payloads {
                decode_message(&method, &payload)
                    .unwrap_or_else(|e| panic!("{file} {method}: {e}"));
                total += 1;
            }
        }
    }
    assert_eq!(total, 1_444, "every message of the four captures");
}

#[test]
fn chats_carry_text_and_the_commenter() {
    for file in ["jw.json", "dupa.json", "ab.json"] {
        for decoded in decode_all(file, "WebcastChatMessage") {
            let Item::Event(EventKind::Comment { text, user }) = decoded.item else {
                panic!("not a comment")
            };
            assert!(!text.is_empty(), "{file}: empty comment");
            assert!(user.id.parse::<u64>().is_ok(), "numeric user id");
            assert!(!user.unique_id.is_empty(), "{file}: handle present");
            assert!(decoded.msg_id > 0);
            // create_time is epoch milliseconds (2023 captures).
            let ts = decoded.create_time.unwrap();
            assert!((1_690_000_000_000..1_710_000_000_000).contains(&ts), "{ts}");
        }
    }
}

#[test]
fn viewer_counts_match_the_fact_sheet() {
    let counts: Vec<(i64, i64)> = decode_all("jw.json", "WebcastRoomUserSeqMessage")
        .into_iter()
        .map(|d| match d.item {
            Item::Event(EventKind::ViewerCount {
                viewers,
                total_viewers,
            }) => (viewers, total_viewers),
            other => panic!("{other:?}"),
        })
        .collect();
    // A small stream: a handful of viewers, the cumulative count rising (1, 2, 2, 3, 10…).
    assert!(counts.iter().all(|(v, t)| *v > 0 && *t > 0));
    assert!(
        counts.windows(2).all(|w| w[1].1 >= w[0].1),
        "total_viewers never falls: {counts:?}"
    );
    let all: Vec<(i64, i64)> = ["dupa.json", "ab.json", "giftsCollector.json"]
        .iter()
        .flat_map(|f| decode_all(f, "WebcastRoomUserSeqMessage"))
        .chain(decode_all("jw.json", "WebcastRoomUserSeqMessage"))
        .map(|d| match d.item {
            Item::Event(EventKind::ViewerCount {
                viewers,
                total_viewers,
            }) => (viewers, total_viewers),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        all.iter().any(|(v, _)| *v == 1735),
        "the sheet's ✔cap value 1735 is in the captures"
    );
}

#[test]
fn control_messages_pause_and_unpause() {
    let statuses: Vec<EventKind> = decode_all("jw.json", "WebcastControlMessage")
        .into_iter()
        .map(|d| match d.item {
            Item::Event(kind) => kind,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            EventKind::StreamStatus {
                status: StreamStatus::Paused
            },
            EventKind::StreamStatus {
                status: StreamStatus::Unpaused
            }
        ]
    );
}

#[test]
fn follows_and_shares_are_told_apart() {
    let mut follows = 0;
    let mut shares = 0;
    for d in decode_all("dupa.json", "WebcastSocialMessage") {
        match d.item {
            Item::Event(EventKind::Follow { user }) => {
                assert!(!user.unique_id.is_empty());
                follows += 1;
            }
            Item::Event(EventKind::Share { .. }) => shares += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        (follows, shares),
        (11, 10),
        "the sheet: 11 follows (action 1), 10 shares (action 3)"
    );
}

#[test]
fn likes_and_joins_carry_their_counts() {
    let likes: Vec<(i64, i64)> = decode_all("dupa.json", "WebcastLikeMessage")
        .into_iter()
        .map(|d| match d.item {
            Item::Event(EventKind::Like { count, total, .. }) => (count, total),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(likes.iter().all(|(c, t)| *c >= 1 && *t >= *c));
    let joins = decode_all("jw.json", "WebcastMemberMessage");
    assert!(
        joins
            .iter()
            .all(|d| matches!(d.item, Item::Event(EventKind::Join { .. }))),
        "all captured members are action 1"
    );
}

#[test]
fn gift_streaks_fire_once_each() {
    let gifts = decode_all("giftsCollector.json", "WebcastGiftMessage");
    let rose = gifts.iter().find_map(|d| match &d.item {
        Item::Gift(step) if step.gift_id == 5655 => Some(step.clone()),
        _ => None,
    });
    let rose = rose.expect("a Rose");
    assert_eq!(
        (rose.gift_name.as_str(), rose.diamond_count, rose.streakable),
        ("Rose", 1, true)
    );

    let mut decoder = StreamDecoder::new();
    let mut out = Output::default();
    let now = 1_000_000;
    for d in gifts {
        decoder.apply(d, now, &mut out);
    }
    let immediate: Vec<&EventKind> = out.events.iter().map(|(k, _)| k).collect();
    // 8 streaks ended with repeat_end, 3 gifts are not streakable (types 2 and 4).
    assert_eq!(immediate.len(), 11, "{immediate:#?}");
    assert_eq!(decoder.open_streaks(), 3);
    assert!(
        decoder
            .flush_stale_streaks(now + STREAK_TIMEOUT_MS - 1)
            .is_empty()
    );
    let flushed = decoder.flush_stale_streaks(now + STREAK_TIMEOUT_MS);
    assert_eq!(flushed.len(), 3);
    assert!(
        decoder
            .flush_stale_streaks(now + 10 * STREAK_TIMEOUT_MS)
            .is_empty(),
        "each streak fires once"
    );
    // A flushed streak keeps its last count; totals are repeat × unit.
    let rose_two = flushed.iter().find_map(|(k, _)| match k {
        EventKind::Gift {
            gift_id: 5655,
            repeat_count: 2,
            total_diamonds,
            ..
        } => Some(*total_diamonds),
        _ => None,
    });
    assert_eq!(rose_two, Some(2));
    let doughnut = flushed.iter().any(|(k, _)| matches!(k, EventKind::Gift { gift_name, total_diamonds: 30, .. } if gift_name == "Doughnut"));
    assert!(doughnut);
}
