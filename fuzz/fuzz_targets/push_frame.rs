//! Arbitrary bytes as a push frame from TikTok: decoding, gzip, every message type and the
//! per-stream state must never panic. `cargo fuzz run push_frame` (see README).
#![no_main]

use libfuzzer_sys::fuzz_target;
use livectl::live::decode::{StreamDecoder, decode_message, decode_push_frame, response_of};

const METHODS: [&str; 8] = [
    "WebcastChatMessage",
    "WebcastGiftMessage",
    "WebcastLikeMessage",
    "WebcastSocialMessage",
    "WebcastMemberMessage",
    "WebcastRoomUserSeqMessage",
    "WebcastControlMessage",
    "Unknown",
];

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = decode_push_frame(data)
        && let Ok(response) = response_of(&frame)
    {
        let mut decoder = StreamDecoder::new();
        let _ = decoder.ingest(&response, 1_000, false);
        let _ = decoder.ingest(&response, 2_000, false);
        let _ = decoder.flush_stale_streaks(i64::MAX / 2);
    }
    // The same bytes as the payload of each message type.
    if let Some((first, rest)) = data.split_first() {
        let _ = decode_message(METHODS[usize::from(*first) % METHODS.len()], rest);
    }
});
