//! Super Fan messages, whose layout TikTok keeps moving (`webcast-2026.md` §1.5; JS PR #319,
//! PY `handle_custom_event`, and streamers' own detectors that found the fixed fields empty).
//! A `WebcastBarrageMessage` says "someone became a Super Fan" with a display key somewhere
//! inside it; the viewer is the one `User` it carries. Both are looked for in the raw protobuf,
//! through a bounded walk that never fails on what it does not understand.

use prost::Message as _;

use crate::live::pb;

/// `WebcastEnvelopeMessage.envelope_info.business_type` of a Super Fan box.
pub const BOX_BUSINESS_TYPE: i32 = 19;

/// Display keys (lower case) that mean "a viewer became a Super Fan". The notice for a Super
/// Fan merely joining the room (`…_superfanjoined`) is not one: it fires at every visit.
const BECAME: [&[u8]; 3] = [
    b"ttlive_superfan_commentnotif_someonebecamesuperfan",
    b"becoming_super_fan",
    b"becomingsuperfan",
];

/// Whether the barrage's payload announces a new Super Fan.
pub fn became(payload: &[u8]) -> bool {
    let lower = payload.to_ascii_lowercase();
    BECAME
        .iter()
        .any(|marker| lower.windows(marker.len()).any(|w| w == *marker))
}

/// How deep the walk goes into nested messages.
const MAX_DEPTH: usize = 4;

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The length-delimited fields of a message, as (field number, bytes). Stops at the first
/// thing that is not well-formed.
fn fields(bytes: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(key) = varint(bytes, &mut at) else {
            break;
        };
        let skipped = match key & 7 {
            0 => varint(bytes, &mut at).map(|_| ()),
            1 => (at + 8 <= bytes.len()).then(|| at += 8),
            5 => (at + 4 <= bytes.len()).then(|| at += 4),
            2 => varint(bytes, &mut at).and_then(|len| {
                let end = at.checked_add(usize::try_from(len).ok()?)?;
                let value = bytes.get(at..end)?;
                out.push((key >> 3, value));
                at = end;
                Some(())
            }),
            _ => None,
        };
        if skipped.is_none() {
            break;
        }
    }
    out
}

/// The bytes of field `number` of a message, if it is length-delimited.
pub fn field(bytes: &[u8], number: u64) -> Option<&[u8]> {
    fields(bytes)
        .into_iter()
        .find(|(n, _)| *n == number)
        .map(|(_, v)| v)
}

/// The first nested message that reads as a viewer (an id and a handle), depth first.
pub fn find_user(bytes: &[u8]) -> Option<pb::User> {
    fn walk(bytes: &[u8], depth: usize) -> Option<pb::User> {
        for (_, value) in fields(bytes) {
            if let Ok(user) = pb::User::decode(value)
                && user.id != 0
                && !user.unique_id.is_empty()
                && user.unique_id.is_ascii()
            {
                return Some(user);
            }
            if depth < MAX_DEPTH
                && let Some(user) = walk(value, depth + 1)
            {
                return Some(user);
            }
        }
        None
    }
    walk(bytes, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> pb::User {
        pb::User {
            id: 42,
            nickname: "Ann".into(),
            unique_id: "ann".into(),
            ..Default::default()
        }
    }

    /// A message nesting `inner` in field `number`.
    fn wrap(number: u32, inner: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        prost::encoding::bytes::encode(number, &inner.to_vec(), &mut out);
        out
    }

    #[test]
    fn a_new_super_fan_is_found_wherever_its_key_and_viewer_are() {
        let key = wrap(1, b"ttlive_superFan_commentNotif_someoneBecameSuperFan");
        let user = wrap(21, &viewer().encode_to_vec());
        let payload = [wrap(1, b"common"), wrap(3, &[key, wrap(5, &user)].concat())].concat();
        assert!(became(&payload));
        assert_eq!(find_user(&payload).map(|u| u.unique_id), Some("ann".into()));
        let joined = wrap(3, b"ttlive_superFan_commentNotif_superFanJoined");
        assert!(!became(&joined));
    }

    #[test]
    fn garbage_finds_nothing_and_never_panics() {
        for bytes in [
            &b""[..],
            &[0xff; 40],
            &[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
            b"\x12\x05ab",
        ] {
            assert!(find_user(bytes).is_none());
            assert!(!became(bytes));
        }
    }
}
