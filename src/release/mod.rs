//! Signed agent builds (`livectl release keygen | sign`), shared by the server that serves
//! them and the agent that updates itself from them.
//!
//! What is signed is not the file but a short statement naming it, so a build cannot be
//! offered under another version or platform than it was signed for:
//! `livectl-agent-release\n{version}\n{platform}\n{sha256 hex}\n`. The signature is ed25519,
//! raw 64 bytes; `install.sh` checks the same statement with `openssl pkeyutl -rawin`.

pub mod folder;
pub mod routes;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use sha2::{Digest as _, Sha256};

const KEY_PREFIX: &str = "ed25519:";
/// The DER header of an ed25519 SubjectPublicKeyInfo; the 32 key bytes follow it.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const PRIVATE_PEM: &str = "PRIVATE KEY";

/// The name of this build's platform, as the release folder and the agent spell it:
/// `linux-x86_64`, `macos-aarch64`, `windows-x86_64`…
pub fn this_platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// A platform name as it may appear in a path: lower-case letters, digits, `_` and one `-`.
pub fn valid_platform(name: &str) -> bool {
    name.split_once('-').is_some_and(|(os, arch)| {
        let part = |p: &str| {
            !p.is_empty()
                && p.len() <= 16
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        part(os) && part(arch)
    })
}

/// A version as it may appear in a path: `1.2.3`, `1.2.3-rc.1`, `0.1.0+build.2`.
pub fn valid_version(version: &str) -> bool {
    (1..=40).contains(&version.len())
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
        && !version.contains("..")
}

/// What a signature vouches for.
pub fn statement(version: &str, platform: &str, sha256_hex: &str) -> Vec<u8> {
    format!("livectl-agent-release\n{version}\n{platform}\n{sha256_hex}\n").into_bytes()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of a file, read in pieces (a build is tens of MB).
pub fn sha256_of_file(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The public half, written `ed25519:` + base64 of the 32 key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn parse(text: &str) -> anyhow::Result<PublicKey> {
        let b64 = text.trim().strip_prefix(KEY_PREFIX).with_context(|| {
            format!("a release key looks like {KEY_PREFIX}… (from `livectl release keygen`)")
        })?;
        let bytes = BASE64
            .decode(b64)
            .context("the release key is not base64")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("an ed25519 release key has 32 bytes"))?;
        Ok(PublicKey(key))
    }

    /// `ed25519:…`, as pinned in `agent.toml`.
    pub fn text(&self) -> String {
        format!("{KEY_PREFIX}{}", BASE64.encode(self.0))
    }

    /// The key as openssl reads it (`-pubin -inkey`).
    pub fn pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.0);
        pem("PUBLIC KEY", &der)
    }

    /// Whether `signature` vouches for this build.
    pub fn verify(
        &self,
        version: &str,
        platform: &str,
        sha256_hex: &str,
        signature: &[u8],
    ) -> bool {
        UnparsedPublicKey::new(&ED25519, self.0)
            .verify(&statement(version, platform, sha256_hex), signature)
            .is_ok()
    }
}

/// The operator's private key (PKCS#8 in PEM), kept away from the server.
pub struct SigningKey(Ed25519KeyPair);

impl SigningKey {
    /// A new key, as the PEM text to store.
    pub fn generate() -> anyhow::Result<String> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| anyhow::anyhow!("could not generate a key"))?;
        Ok(pem(PRIVATE_PEM, pkcs8.as_ref()))
    }

    pub fn from_pem(text: &str) -> anyhow::Result<SigningKey> {
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        let der = BASE64
            .decode(body.trim())
            .context("the key file is not PEM")?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|_| anyhow::anyhow!("the key file holds no ed25519 private key"))?;
        Ok(SigningKey(pair))
    }

    pub fn public(&self) -> PublicKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(self.0.public_key().as_ref());
        PublicKey(key)
    }

    pub fn sign(&self, version: &str, platform: &str, sha256_hex: &str) -> Vec<u8> {
        self.0
            .sign(&statement(version, platform, sha256_hex))
            .as_ref()
            .to_vec()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_vouches_for_one_version_platform_and_hash() {
        let key = SigningKey::from_pem(&SigningKey::generate().unwrap()).unwrap();
        let public = PublicKey::parse(&key.public().text()).unwrap();
        let sha = sha256_hex(b"build");
        let sig = key.sign("1.2.0", "linux-x86_64", &sha);
        assert!(public.verify("1.2.0", "linux-x86_64", &sha, &sig));
        assert!(!public.verify("1.1.0", "linux-x86_64", &sha, &sig));
        assert!(!public.verify("1.2.0", "macos-aarch64", &sha, &sig));
        assert!(!public.verify("1.2.0", "linux-x86_64", &sha256_hex(b"other"), &sig));
        let other = SigningKey::from_pem(&SigningKey::generate().unwrap()).unwrap();
        assert!(!other.public().verify("1.2.0", "linux-x86_64", &sha, &sig));
        assert!(public.pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }

    #[test]
    fn names_that_reach_a_path_are_checked() {
        assert!(valid_platform(&this_platform()));
        assert!(valid_platform("windows-x86_64"));
        for bad in ["linux", "../x-y", "Linux-x86_64", "linux-x86_64-gnu", "-x"] {
            assert!(!valid_platform(bad), "{bad}");
        }
        assert!(valid_version("0.1.0") && valid_version("1.2.3-rc.1+b2"));
        for bad in ["", "v1", "1/2", "1..2", "../1"] {
            assert!(!valid_version(bad), "{bad}");
        }
        assert!(PublicKey::parse("ed25519:abc").is_err());
        assert!(PublicKey::parse("rsa:abc").is_err());
    }
}
