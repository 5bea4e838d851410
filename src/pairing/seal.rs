//! The agent token crosses the pairing channel sealed to a key only the waiting agent holds:
//! the agent sends an X25519 public key when it starts pairing, the server seals the token to
//! it at approval (ephemeral X25519, SHA-256, AES-256-GCM), and only that agent process can
//! open it. The database never holds a usable token, and nobody who reads the poll answer
//! (a log, a proxy) learns it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::rand::{SecureRandom as _, SystemRandom};
use sha2::{Digest as _, Sha256};

const KEY_LEN: usize = 32;
const LABEL: &[u8] = b"livectl: agent pairing token, v1\0";

fn content_key(shared: &[u8], sender: &[u8], recipient: &[u8]) -> Option<LessSafeKey> {
    let mut hasher = Sha256::new();
    hasher.update(LABEL);
    hasher.update(shared);
    hasher.update(sender);
    hasher.update(recipient);
    let key = UnboundKey::new(&AES_256_GCM, &hasher.finalize()).ok()?;
    Some(LessSafeKey::new(key))
}

/// Checks that `text` is a base64 X25519 public key.
pub fn parse_public_key(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim())
        .ok()
        .filter(|bytes| bytes.len() == KEY_LEN)
}

pub fn encode_public_key(key: &[u8]) -> String {
    B64.encode(key)
}

/// Seals `plain` to `recipient` (the agent's public key): `base64(sender ‖ nonce ‖ ciphertext)`.
pub fn seal(recipient: &[u8], plain: &str) -> Option<String> {
    let rng = SystemRandom::new();
    let private = EphemeralPrivateKey::generate(&X25519, &rng).ok()?;
    let sender = private.compute_public_key().ok()?;
    let key = agreement::agree_ephemeral(
        private,
        &UnparsedPublicKey::new(&X25519, recipient),
        |shared| content_key(shared, sender.as_ref(), recipient),
    )
    .ok()??;
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce).ok()?;
    let mut data = plain.as_bytes().to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
        .ok()?;
    Some(B64.encode([sender.as_ref(), &nonce, &data].concat()))
}

/// The agent's half: a key pair for one pairing.
pub struct Opener {
    private: EphemeralPrivateKey,
    public: Vec<u8>,
}

impl Opener {
    pub fn new() -> Option<Opener> {
        let private = EphemeralPrivateKey::generate(&X25519, &SystemRandom::new()).ok()?;
        let public = private.compute_public_key().ok()?.as_ref().to_vec();
        Some(Opener { private, public })
    }

    /// What the agent sends when it starts pairing.
    pub fn public_key(&self) -> String {
        B64.encode(&self.public)
    }

    /// Opens what [`seal`] made for this key (once: the private key is used up).
    pub fn open(self, sealed: &str) -> Option<String> {
        let bytes = B64.decode(sealed.trim()).ok()?;
        let (sender, rest) = bytes.split_at_checked(KEY_LEN)?;
        let (nonce, data) = rest.split_at_checked(NONCE_LEN)?;
        let recipient = self.public;
        let key = agreement::agree_ephemeral(
            self.private,
            &UnparsedPublicKey::new(&X25519, sender),
            |shared| content_key(shared, sender, &recipient),
        )
        .ok()??;
        let mut data = data.to_vec();
        let plain = key
            .open_in_place(
                Nonce::try_assume_unique_for_key(nonce).ok()?,
                Aad::empty(),
                &mut data,
            )
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_waiting_agent_opens_its_token() {
        let agent = Opener::new().unwrap();
        let key = parse_public_key(&agent.public_key()).unwrap();
        let sealed = seal(&key, "lat_secret").unwrap();
        assert!(!sealed.contains("lat_secret"));
        let stranger = Opener::new().unwrap();
        assert_eq!(stranger.open(&sealed), None);
        assert_eq!(agent.open(&sealed).as_deref(), Some("lat_secret"));
        assert!(parse_public_key("abc").is_none());
    }
}
