//! livectl's own certificate authority for the MQTT TLS listener: created on first start in
//! `<data_dir>/mqtt/` (keys readable by the owner only), it signs the broker's server
//! certificate and one client certificate per device. A device certificate's Organization is
//! its workspace's tenant key, which rumqttd uses to confine it to `/tenants/{tenant}/…`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::files::{create_private_dir, write_private};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

const CA_NAME: &str = "livectl device CA";

/// Makes `<data_dir>/mqtt/ca.{pem,key}` the installation's CA, the one in the database, so
/// that a certificate issued by any node works on every node's broker. The first node to
/// start stores its CA (an existing one from its data folder, or a new one); the others take
/// it from the database.
pub fn share_through_database(
    conn: &mut crate::db::DbConnection,
    data_dir: &Path,
) -> anyhow::Result<()> {
    use crate::db::schema::mqtt_ca;
    use diesel::prelude::*;
    let dir = data_dir.join("mqtt");
    create_private_dir(&dir)?;
    let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
    let stored = |conn: &mut crate::db::DbConnection| -> anyhow::Result<Option<(String, String)>> {
        Ok(mqtt_ca::table
            .find(1)
            .select((mqtt_ca::cert_pem, mqtt_ca::key_pem))
            .first(conn)
            .optional()?)
    };
    let installation = match stored(conn)? {
        Some(pair) => pair,
        None => {
            // Ours becomes the installation's, unless another node stores one first.
            let ours = Ca::load_or_create(data_dir)?;
            let key_pem = fs::read_to_string(&key_path)
                .with_context(|| format!("reading {}", key_path.display()))?;
            let inserted = diesel::insert_into(mqtt_ca::table)
                .values((
                    mqtt_ca::id.eq(1),
                    mqtt_ca::cert_pem.eq(&ours.ca_pem),
                    mqtt_ca::key_pem.eq(&key_pem),
                    mqtt_ca::created_at.eq(crate::ids::now_ms()),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => tracing::info!("this node's MQTT CA is now the installation's"),
                // Another node stored one at the same moment: that one is used.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {}
                Err(err) => return Err(err.into()),
            }
            stored(conn)?.context("the MQTT CA was stored but cannot be read back")?
        }
    };
    let on_disk = fs::read_to_string(&cert_path).ok();
    if on_disk.as_deref() != Some(installation.0.as_str()) {
        tracing::info!(path = %cert_path.display(), "using the installation's MQTT CA (from the database)");
        write_private(&key_path, installation.1.as_bytes(), true)?;
        fs::write(&cert_path, &installation.0)
            .with_context(|| format!("writing {}", cert_path.display()))?;
    }
    Ok(())
}

pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub ca_pem: String,
    pub dir: PathBuf,
}

/// A device's certificate and key, PEM.
pub struct ClientCredentials {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The CA's subject and usages. They are rebuilt identically on every start, so the issuer
/// matches the certificate kept on disk without parsing it back.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, "livectl");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(days);
}

impl Ca {
    /// Loads `<data_dir>/mqtt/ca.{pem,key}`, or creates them.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Ca> {
        let dir = data_dir.join("mqtt");
        create_private_dir(&dir)?;
        let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
        let (ca_pem, key) = if cert_path.exists() && key_path.exists() {
            let key_pem = fs::read_to_string(&key_path)
                .with_context(|| format!("reading {}", key_path.display()))?;
            let key = KeyPair::from_pem(&key_pem)
                .with_context(|| format!("{} is not a private key", key_path.display()))?;
            let ca_pem = fs::read_to_string(&cert_path)
                .with_context(|| format!("reading {}", cert_path.display()))?;
            (ca_pem, key)
        } else {
            let key = KeyPair::generate()?;
            let mut params = ca_params();
            validity(&mut params, 365 * 20);
            let cert = params.self_signed(&key)?;
            write_private(&key_path, key.serialize_pem().as_bytes(), false)?;
            fs::write(&cert_path, cert.pem())?;
            tracing::info!(path = %cert_path.display(), "created the MQTT device CA");
            (cert.pem(), key)
        };
        Ok(Ca {
            issuer: Issuer::new(ca_params(), key),
            ca_pem,
            dir,
        })
    }

    /// Writes a fresh server certificate for the TLS listener (names: localhost, the loopback
    /// addresses and `host`), returning the paths of the certificate and key.
    pub fn server_certificate(&self, host: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        if !host.is_empty() && !names.iter().any(|n| n == host) {
            names.push(host.to_owned());
        }
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "livectl MQTT broker");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, 825);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let (cert_path, key_path) = (self.dir.join("server.pem"), self.dir.join("server.key"));
        // The chain: server certificate, then the CA.
        fs::write(&cert_path, format!("{}{}", cert.pem(), self.ca_pem))?;
        write_private(&key_path, key.serialize_pem().as_bytes(), true)?;
        Ok((cert_path, key_path))
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A client certificate for one device of the workspace whose tenant key is `tenant`.
    /// The key is returned once and never stored.
    pub fn issue_client(&self, tenant: &str, device_id: &str) -> anyhow::Result<ClientCredentials> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, device_id);
        dn.push(DnType::OrganizationName, tenant);
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, 825);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(ClientCredentials {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_survives_a_restart_and_signs_devices() {
        let dir = tempfile::tempdir().unwrap();
        let first = Ca::load_or_create(dir.path()).unwrap();
        let again = Ca::load_or_create(dir.path()).unwrap();
        assert_eq!(first.ca_pem, again.ca_pem, "the CA is kept, not remade");
        let creds = again.issue_client("ws01abc", "dev_1").unwrap();
        assert!(creds.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(creds.key_pem.contains("PRIVATE KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join("mqtt/ca.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
