//! Files only this user may read: the data folder, the JWT secret, the CA and TLS keys, the
//! SQLite database. Secrets are created with their mode, never written first and restricted
//! after (another user could open them in between).

use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

/// Creates `dir` (and parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    restrict(dir, 0o700)
}

/// Sets `path`'s mode (Unix; elsewhere the folder's ACLs apply).
pub fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    let _ = (path, mode);
    Ok(())
}

/// Writes `bytes` to a file created with mode 0600. With `replace`, an existing file is
/// replaced (its mode set again); without, an existing file is an error.
pub fn write_private(path: &Path, bytes: &[u8], replace: bool) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    // A file that existed before keeps its old mode through `open`: set it.
    restrict(path, 0o600)
}

/// The SQLite database and its journal files, owner-only.
pub fn restrict_sqlite(db_path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db_path.as_os_str().to_owned();
        name.push(suffix);
        let path = Path::new(&name);
        if path.exists() {
            restrict(path, 0o600)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secrets_are_born_private() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        write_private(&key, b"secret", false).unwrap();
        assert_eq!(mode(&key), 0o600);
        assert!(
            write_private(&key, b"again", false).is_err(),
            "never silently replaced"
        );
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&key, b"new", true).unwrap();
        assert_eq!(
            (mode(&key), fs::read(&key).unwrap()),
            (0o600, b"new".to_vec())
        );
        let db = dir.path().join("livectl.db");
        fs::write(&db, b"").unwrap();
        fs::write(dir.path().join("livectl.db-wal"), b"").unwrap();
        restrict_sqlite(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&dir.path().join("livectl.db-wal")), 0o600);
    }
}
