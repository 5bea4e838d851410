//! The releases folder: `{dir}/{version}/{platform}/livectl[.exe]` with `livectl.sig` beside
//! it, and `{dir}/release.pub`, the key every build must be signed with. `livectl release
//! sign` fills it; the server lists it for agents and `/install.sh`, and offers only builds
//! whose signature holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use parking_lot::Mutex;
use serde::Serialize;

use super::{PublicKey, SigningKey, sha256_of_file, valid_platform, valid_version};

pub const PUBLIC_KEY_FILE: &str = "release.pub";
const SIGNATURE_FILE: &str = "livectl.sig";

/// The executable's name in a platform's folder.
pub fn binary_name(platform: &str) -> &'static str {
    if platform.starts_with("windows-") {
        "livectl.exe"
    } else {
        "livectl"
    }
}

/// One signed build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Build {
    pub version: String,
    pub platform: String,
    pub sha256: String,
    pub size: u64,
    /// The ed25519 signature of the build's statement, base64.
    pub signature: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub path: PathBuf,
}

type HashKey = (PathBuf, u64, Option<SystemTime>);

pub struct ReleaseFolder {
    dir: PathBuf,
    /// Hashing a build reads it whole: remembered while its size and time stay the same.
    hashes: Mutex<HashMap<HashKey, String>>,
}

impl ReleaseFolder {
    pub fn new(dir: PathBuf) -> Self {
        ReleaseFolder {
            dir,
            hashes: Mutex::new(HashMap::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key builds must be signed with, if the operator has made one.
    pub fn public_key(&self) -> Option<PublicKey> {
        let text = std::fs::read_to_string(self.dir.join(PUBLIC_KEY_FILE)).ok()?;
        match PublicKey::parse(&text) {
            Ok(key) => Some(key),
            Err(err) => {
                tracing::warn!(dir = %self.dir.display(), error = %err, "release.pub is unreadable: no agent build is offered");
                None
            }
        }
    }

    /// One build, if it is there and its signature holds.
    pub fn find(&self, version: &str, platform: &str) -> Option<Build> {
        if !valid_version(version) || !valid_platform(platform) {
            return None;
        }
        let key = self.public_key()?;
        self.build_at(&key, version, platform)
    }

    /// Every build whose signature holds, newest version first.
    pub fn list(&self) -> Vec<Build> {
        let Some(key) = self.public_key() else {
            return Vec::new();
        };
        let mut builds = Vec::new();
        for version in names_in(&self.dir) {
            if !valid_version(&version) {
                continue;
            }
            for platform in names_in(&self.dir.join(&version)) {
                if let Some(build) = self.build_at(&key, &version, &platform) {
                    builds.push(build);
                }
            }
        }
        builds.sort_by(|a, b| {
            version_order(&b.version, &a.version).then(a.platform.cmp(&b.platform))
        });
        builds
    }

    fn build_at(&self, key: &PublicKey, version: &str, platform: &str) -> Option<Build> {
        if !valid_platform(platform) {
            return None;
        }
        let folder = self.dir.join(version).join(platform);
        let path = folder.join(binary_name(platform));
        let meta = std::fs::metadata(&path).ok()?;
        let signature = std::fs::read(folder.join(SIGNATURE_FILE)).ok()?;
        let sha256 = self.hash(&path, &meta)?;
        if !key.verify(version, platform, &sha256, &signature) {
            tracing::warn!(build = %path.display(), "the signature does not match release.pub: this build is not offered");
            return None;
        }
        use base64::Engine as _;
        Some(Build {
            version: version.to_owned(),
            platform: platform.to_owned(),
            sha256,
            size: meta.len(),
            signature: base64::engine::general_purpose::STANDARD.encode(&signature),
            path,
        })
    }

    fn hash(&self, path: &Path, meta: &std::fs::Metadata) -> Option<String> {
        let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
        if let Some(hash) = self.hashes.lock().get(&key) {
            return Some(hash.clone());
        }
        let hash = sha256_of_file(path).ok()?;
        self.hashes.lock().insert(key, hash.clone());
        Some(hash)
    }

    /// `livectl release sign`: copies `binary` in as `version` for `platform`, signs it, and
    /// writes the public key beside the builds.
    pub fn add(
        &self,
        key: &SigningKey,
        binary: &Path,
        version: &str,
        platform: &str,
    ) -> anyhow::Result<Build> {
        anyhow::ensure!(
            valid_version(version),
            "{version:?} is not a version like 1.2.3"
        );
        anyhow::ensure!(
            valid_platform(platform),
            "{platform:?} is not a platform like linux-x86_64"
        );
        let public = key.public();
        let pub_path = self.dir.join(PUBLIC_KEY_FILE);
        if let Some(existing) = self.public_key() {
            anyhow::ensure!(
                existing == public,
                "{} holds another key: builds signed with this one would not be offered \
                 (delete it to change keys; every agent pinned the old one)",
                pub_path.display()
            );
        }
        let folder = self.dir.join(version).join(platform);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let target = folder.join(binary_name(platform));
        // Copy beside, then rename: an agent downloading meanwhile never gets half a file.
        let partial = folder.join(".incoming");
        std::fs::copy(binary, &partial).with_context(|| format!("copying {}", binary.display()))?;
        let sha256 = sha256_of_file(&partial)?;
        std::fs::write(
            folder.join(SIGNATURE_FILE),
            key.sign(version, platform, &sha256),
        )?;
        std::fs::rename(&partial, &target)?;
        std::fs::write(&pub_path, format!("{}\n", public.text()))?;
        self.find(version, platform)
            .context("the build just signed does not verify")
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// `1.10.0` after `1.9.0`: numeric parts compare as numbers, the rest as text.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<(u64, String)> {
        v.split(['.', '-', '+'])
            .map(|p| (p.parse().unwrap_or(0), p.to_owned()))
            .collect()
    };
    parts(a).cmp(&parts(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_builds_signed_with_the_folders_key_are_offered() {
        let dir = tempfile::tempdir().unwrap();
        let folder = ReleaseFolder::new(dir.path().to_path_buf());
        let key = SigningKey::from_pem(&SigningKey::generate().unwrap()).unwrap();
        let binary = dir.path().join("build");
        std::fs::write(&binary, b"#!/bin/sh\necho 1\n").unwrap();
        let build = folder.add(&key, &binary, "1.0.0", "linux-x86_64").unwrap();
        folder.add(&key, &binary, "1.10.0", "linux-x86_64").unwrap();
        folder
            .add(&key, &binary, "1.9.0", "windows-x86_64")
            .unwrap();
        assert_eq!(build.size, 17);
        let versions: Vec<_> = folder.list().into_iter().map(|b| b.version).collect();
        assert_eq!(versions, ["1.10.0", "1.9.0", "1.0.0"]);
        assert!(folder.find("1.9.0", "windows-x86_64").is_some());
        assert!(folder.find("../1.9.0", "windows-x86_64").is_none());
        // Another key cannot add to the folder, and a tampered build is not offered.
        let other = SigningKey::from_pem(&SigningKey::generate().unwrap()).unwrap();
        assert!(
            folder
                .add(&other, &binary, "2.0.0", "linux-x86_64")
                .is_err()
        );
        std::fs::write(&build.path, b"#!/bin/sh\necho 2\n").unwrap();
        assert!(folder.find("1.0.0", "linux-x86_64").is_none());
        assert_eq!(folder.list().len(), 2);
    }
}
