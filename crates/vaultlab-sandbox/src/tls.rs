//! The room's certificate (`vaultlab room --tls`): self-signed, made once and kept beside
//! the room's state (the key 0600), so a room restarted with the same state serves the
//! same certificate and learners' pins of it keep working. Served with rustls and the
//! aws-lc-rs provider the workspace's clients already use.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, Days, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use vaultlab_wire::private_file;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make the room's certificate: {0}")]
    Make(String),
    #[error("cannot read the room's {what} {path}: {reason}")]
    Read {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "the room's key {path} can be read by others (mode {mode:04o}): `chmod 600 {path}`, or move it and the certificate away to make new ones"
    )]
    KeyOpen { path: PathBuf, mode: u32 },
    #[error("cannot keep the room's certificate in {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "the room's certificate {cert} and key {key} do not go together ({reason}): move both away to make new ones"
    )]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

/// The first line of a certificate file this room made: the names, for the facilitator
/// reading the file and for a restarted room checking they still fit (PEM readers skip
/// lines outside the certificate).
const NAMES_LINE: &str = "# vaultlab room certificate for: ";

/// How long a new certificate is valid: longer than any workshop series, shorter than
/// forever.
const VALID_DAYS: u64 = 825;

/// A certificate and its key, as served.
pub struct TlsIdentity {
    cert: CertificateDer<'static>,
    cert_pem: String,
    key: PrivateKeyDer<'static>,
    cert_path: PathBuf,
    /// The names the certificate was made for, as its file's first line says them
    /// (empty for a file without that line).
    names: Vec<String>,
    made: bool,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_path", &self.cert_path)
            .field("made", &self.made)
            .finish_non_exhaustive()
    }
}

/// Where a state's certificate and key live: `room.cert.pem` and `room.key.pem` beside
/// `room.json`.
pub fn paths_for_state(state: &Path) -> (PathBuf, PathBuf) {
    let stem = state
        .file_stem()
        .map_or_else(|| "room".into(), |s| s.to_string_lossy().into_owned());
    let dir = private_file::parent_dir(state);
    (
        dir.join(format!("{stem}.cert.pem")),
        dir.join(format!("{stem}.key.pem")),
    )
}

impl TlsIdentity {
    /// The certificate kept at `cert_path`/`key_path`, else a new one for `names` (IP
    /// addresses and DNS names, as a client will name the room), kept there.
    pub fn load_or_make(
        cert_path: &Path,
        key_path: &Path,
        names: &[String],
    ) -> Result<Self, TlsError> {
        if cert_path.exists() || key_path.exists() {
            return Self::load(cert_path, key_path);
        }
        let (cert_pem, key_pem) = make(names)?;
        let cert_pem = format!("{NAMES_LINE}{}\n{cert_pem}", names.join(", "));
        // The key first: a certificate without its key is never left behind alone.
        let write = |path: &Path, bytes: &[u8]| {
            private_file::write_private(path, bytes).map_err(|source| TlsError::Write {
                path: path.to_owned(),
                source,
            })
        };
        write(key_path, key_pem.as_bytes())?;
        write(cert_path, cert_pem.as_bytes())?;
        let mut identity = Self::load(cert_path, key_path)?;
        identity.made = true;
        Ok(identity)
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let read = |what: &'static str, path: &Path| {
            std::fs::read(path).map_err(|e| TlsError::Read {
                what,
                path: path.to_owned(),
                reason: e.to_string(),
            })
        };
        let cert_bytes = read("certificate", cert_path)?;
        let cert = CertificateDer::from_pem_slice(&cert_bytes).map_err(|e| TlsError::Read {
            what: "certificate",
            path: cert_path.to_owned(),
            reason: format!("no PEM certificate in it ({e})"),
        })?;
        let key_bytes = read("key", key_path)?;
        // As ssh does with its keys: one others can read is not served.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            if mode & 0o077 != 0 {
                return Err(TlsError::KeyOpen {
                    path: key_path.to_owned(),
                    mode,
                });
            }
        }
        let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| TlsError::Read {
            what: "key",
            path: key_path.to_owned(),
            reason: format!("no PEM private key in it ({e})"),
        })?;
        let cert_pem = String::from_utf8_lossy(&cert_bytes).into_owned();
        let names = cert_pem
            .lines()
            .find_map(|line| line.strip_prefix(NAMES_LINE))
            .map(|names| names.split(", ").map(str::to_owned).collect())
            .unwrap_or_default();
        let identity = Self {
            cert_pem,
            cert,
            key,
            cert_path: cert_path.to_owned(),
            names,
            made: false,
        };
        // A key that is not the certificate's is found now, not at the first handshake.
        identity
            .server_config()
            .map_err(|reason| TlsError::Mismatch {
                cert: cert_path.to_owned(),
                key: key_path.to_owned(),
                reason,
            })?;
        Ok(identity)
    }

    /// The certificate as DER (what a pin is a hash of).
    pub fn certificate_der(&self) -> &[u8] {
        self.cert.as_ref()
    }

    /// The certificate as PEM (what `VAULT_CACERT` and `AWS_CA_BUNDLE` read).
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn certificate_path(&self) -> &Path {
        &self.cert_path
    }

    /// The names (IP addresses, DNS names) the certificate was made for, if known.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether this start made the certificate (else it was kept from an earlier one).
    pub fn made(&self) -> bool {
        self.made
    }

    fn server_config(&self) -> Result<rustls::ServerConfig, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())
            .map_err(|e| e.to_string())?;
        // The server speaks HTTP/1.1 only (serve::connection).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// What the listener wraps each connection in.
    pub fn acceptor(&self) -> TlsAcceptor {
        let config = self
            .server_config()
            .expect("checked when the identity was loaded");
        TlsAcceptor::from(Arc::new(config))
    }
}

/// A new self-signed certificate (ECDSA P-256) for `names`, and its key, as PEM.
fn make(names: &[String]) -> Result<(String, String), TlsError> {
    let fail = |e: rcgen::Error| TlsError::Make(e.to_string());
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(fail)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "vaultlab room");
    params.distinguished_name = dn;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    // A day back, for clocks in the room a little behind this one.
    let start = Utc::now().date_naive() - Days::new(1);
    let end = start + Days::new(VALID_DAYS);
    let ymd = |d: chrono::NaiveDate| {
        rcgen::date_time_ymd(d.year(), u8::try_from(d.month()).unwrap_or(1), {
            u8::try_from(d.day()).unwrap_or(1)
        })
    };
    params.not_before = ymd(start);
    params.not_after = ymd(end);
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_certificate_is_served_again_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = paths_for_state(&dir.path().join("room.json"));
        let names = ["127.0.0.1".to_owned(), "localhost".to_owned()];
        let first = TlsIdentity::load_or_make(&cert, &key, &names).unwrap();
        assert!(first.made());
        let again = TlsIdentity::load_or_make(&cert, &key, &["10.0.0.9".to_owned()]).unwrap();
        assert!(!again.made());
        assert_eq!(first.certificate_der(), again.certificate_der());
        assert_eq!(again.names(), names);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = paths_for_state(&dir.path().join("a.json"));
        TlsIdentity::load_or_make(&cert, &key, &["127.0.0.1".to_owned()]).unwrap();
        let (_, other_key) = make(&["127.0.0.1".to_owned()]).unwrap();
        std::fs::write(&key, other_key).unwrap();
        let error = TlsIdentity::load_or_make(&cert, &key, &[]).unwrap_err();
        assert!(matches!(error, TlsError::Mismatch { .. }), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused_and_a_missing_one_is_called_a_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = paths_for_state(&dir.path().join("a.json"));
        TlsIdentity::load_or_make(&cert, &key, &["127.0.0.1".to_owned()]).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = TlsIdentity::load_or_make(&cert, &key, &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("can be read by others (mode 0644)"),
            "{error}"
        );
        std::fs::remove_file(&key).unwrap();
        let error = TlsIdentity::load_or_make(&cert, &key, &[]).unwrap_err();
        assert!(
            error.to_string().starts_with("cannot read the room's key "),
            "{error}"
        );
    }
}
