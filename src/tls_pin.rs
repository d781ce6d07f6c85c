//! Trusting a room's self-signed certificate by its fingerprint (`vaultlab room --tls`).
//!
//! The join line carries a pin: the first 80 bits of the certificate's SHA-256, in base32,
//! in four groups of four (`--pin MFRG-GZDF-MZTW-Q2LK`), short enough to read off a
//! projector and to keep the join line within 80 columns for any IPv4 address (finding
//! another certificate with the same 80 bits costs some 2^80 hashes). The full fingerprint
//! (`sha256:` and 64 hex digits, colons allowed, as `openssl x509 -fingerprint -sha256`
//! prints it) is taken too. A pinned client accepts exactly the certificate whose hash
//! matches, whatever name it carries, and proves the server holds its key (the handshake's
//! signature is checked as usual); any other certificate is refused with
//! [`PinMismatch`], which callers find in an error's sources to say it in one line.

use std::fmt;
use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// Base32 characters in a short pin (80 bits), and in each of its groups.
const SHORT_LEN: usize = 16;
const GROUP: usize = 4;

/// What a join line pins.
#[derive(Clone, PartialEq, Eq)]
pub enum Pin {
    /// The first 80 bits of the SHA-256, in base32 (upper case, no dashes).
    Short(String),
    /// The whole SHA-256.
    Full([u8; 32]),
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({self})")
    }
}

/// The SHA-256 of a certificate's DER.
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

/// `sha256:AB:12:…`, as `openssl x509 -fingerprint -sha256` prints it.
pub fn fingerprint_text(digest: &[u8; 32]) -> String {
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    format!("sha256:{}", hex.join(":"))
}

fn short_of(digest: &[u8; 32]) -> String {
    let mut text = data_encoding::BASE32_NOPAD.encode(digest);
    text.truncate(SHORT_LEN);
    text
}

impl Pin {
    /// The pin of a certificate, in the short form the join line carries.
    pub fn of_certificate(der: &[u8]) -> Self {
        Pin::Short(short_of(&fingerprint(der)))
    }

    /// A pin as typed: the short form (dashes, spaces and case do not matter) or the
    /// full fingerprint (`sha256:` then 64 hex digits, colons allowed).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let example =
            "it looks like ABCD-EFGH-2345-JKLM (from the join line), or sha256: and 64 hex digits";
        if let Some(hex) = text
            .strip_prefix("sha256:")
            .or_else(|| text.strip_prefix("SHA256:"))
        {
            let hex: String = hex.chars().filter(|c| *c != ':').collect();
            // ASCII first: the digits are sliced by bytes.
            let bytes = (hex.len() == 64 && hex.is_ascii())
                .then(|| {
                    (0..32)
                        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                        .collect::<Option<Vec<u8>>>()
                })
                .flatten()
                .ok_or_else(|| format!("{text:?} is not a SHA-256 fingerprint: {example}"))?;
            let mut digest = [0u8; 32];
            digest.copy_from_slice(&bytes);
            return Ok(Pin::Full(digest));
        }
        let short: String = text
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
        if short.len() != SHORT_LEN || !short.chars().all(base32) {
            return Err(format!("{text:?} is not a certificate pin: {example}"));
        }
        Ok(Pin::Short(short))
    }

    /// Whether `der` is the pinned certificate.
    pub fn matches(&self, der: &[u8]) -> bool {
        let digest = fingerprint(der);
        match self {
            Pin::Short(short) => short_of(&digest) == *short,
            Pin::Full(full) => digest == *full,
        }
    }

    /// A rustls client configuration that trusts the pinned certificate and nothing else.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Arc::new(PinnedVerifier {
            pin: self.clone(),
            provider: provider.clone(),
        });
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth()
    }

    /// A reqwest client builder that trusts the pinned certificate only; with `None`, a
    /// plain builder (an http:// room). Proxies as the seat's Vault calls have them (the
    /// environment's, loopback never; not the system's or `ALL_PROXY`), so the room is
    /// reached one way by all of vaultlab's calls; a proxy URL that is not one is refused
    /// in the Vault client's words, rather than every proxy dropped.
    pub fn http_builder(
        pin: Option<&Pin>,
    ) -> Result<reqwest::ClientBuilder, crate::vault::VaultError> {
        let settings = crate::vault::config::ProxySettings::from_env(|n| std::env::var(n).ok());
        Self::http_builder_through(pin, &settings)
    }

    fn http_builder_through(
        pin: Option<&Pin>,
        settings: &crate::vault::config::ProxySettings,
    ) -> Result<reqwest::ClientBuilder, crate::vault::VaultError> {
        let mut builder = reqwest::Client::builder().no_proxy();
        for proxy in crate::vault::client::proxies(settings)? {
            builder = builder.proxy(proxy);
        }
        Ok(match pin {
            Some(pin) => builder.tls_backend_preconfigured(pin.client_config()),
            None => builder,
        })
    }
}

impl fmt::Display for Pin {
    /// The short form in groups of four; the full one as `sha256:` and hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pin::Short(short) => {
                let groups: Vec<&str> = (0..short.len())
                    .step_by(GROUP)
                    .map(|i| &short[i..(i + GROUP).min(short.len())])
                    .collect();
                write!(f, "{}", groups.join("-"))
            }
            Pin::Full(digest) => write!(f, "{}", fingerprint_text(digest)),
        }
    }
}

/// A server presented a certificate the pin does not name.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the room's certificate does not match the fingerprint in your join line: it is {seen}, the line says {pinned}; ask the facilitator for the room's join line (someone may be in between)"
)]
pub struct PinMismatch {
    pub seen: String,
    pub pinned: String,
}

/// The mismatch among an error's sources, if that is why it failed.
pub fn pin_mismatch(error: &(dyn std::error::Error + 'static)) -> Option<PinMismatch> {
    let mut source = Some(error);
    while let Some(error) = source {
        if let Some(mismatch) = mismatch_itself(error) {
            return Some(mismatch);
        }
        // An io::Error's `source` skips the error it wraps: that one is looked at too.
        source = match error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

fn mismatch_itself(error: &(dyn std::error::Error + 'static)) -> Option<PinMismatch> {
    if let Some(mismatch) = error.downcast_ref::<PinMismatch>() {
        return Some(mismatch.clone());
    }
    match error.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) => {
            other.0.downcast_ref::<PinMismatch>().cloned()
        }
        _ => None,
    }
}

#[derive(Debug)]
struct PinnedVerifier {
    pin: Pin,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    /// The leaf's hash decides; the name is not looked at, since the pin says which
    /// certificate it must be.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pin.matches(end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        let seen = match &self.pin {
            Pin::Short(_) => Pin::of_certificate(end_entity).to_string(),
            Pin::Full(_) => fingerprint_text(&fingerprint(end_entity)),
        };
        let mismatch = PinMismatch {
            seen,
            pinned: self.pin.to_string(),
        };
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Other(rustls::OtherError(Arc::new(mismatch))),
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proxy setting that is not a URL: refused as the seat's Vault client refuses it,
    /// not dropped with every other proxy (join and notices would go direct).
    #[test]
    fn a_malformed_proxy_is_refused_in_the_vault_clients_words() {
        use crate::vault::config::ProxySettings;
        let settings = ProxySettings {
            http: Some("http://proxy:3128".into()),
            https: Some("http://[::1".into()),
            no_proxy: None,
        };
        let Err(refused) = Pin::http_builder_through(None, &settings) else {
            panic!("a malformed HTTPS_PROXY was dropped");
        };
        let said = refused.to_string();
        assert!(said.starts_with("invalid HTTPS_PROXY"), "{said}");
        assert!(!said.contains('\n'), "{said}");
        let fine = ProxySettings {
            https: None,
            ..settings
        };
        assert!(Pin::http_builder_through(None, &fine).is_ok());
    }

    #[test]
    fn a_pin_is_read_as_the_join_line_shows_it_or_as_a_full_fingerprint() {
        let der = b"not really a certificate";
        let pin = Pin::of_certificate(der);
        let shown = pin.to_string();
        assert_eq!(shown.len(), 19, "{shown}");
        assert_eq!(Pin::parse(&shown).unwrap(), pin);
        assert_eq!(
            Pin::parse(&shown.to_lowercase().replace('-', "")).unwrap(),
            pin
        );
        let full = fingerprint_text(&fingerprint(der));
        assert!(Pin::parse(&full).unwrap().matches(der));
        assert!(
            Pin::parse(&full.replace(':', "").replacen("sha256", "sha256:", 1))
                .unwrap()
                .matches(der)
        );
        assert!(!pin.matches(b"another"));
        for bad in [
            "",
            "ABCD",
            "sha256:12",
            "ABCD-EFGH-JKLM-NPQ1",
            "ABCD-EFGH-JKLM-NPQR-S",
            // 64 bytes, not 64 digits: refused, not sliced mid-character.
            &format!("sha256:{}é", "0".repeat(62)),
        ] {
            assert!(Pin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mismatch_is_found_among_the_sources() {
        let mismatch = PinMismatch {
            seen: "A".into(),
            pinned: "B".into(),
        };
        let wrapped = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(mismatch)),
        ));
        let io = std::io::Error::other(wrapped);
        let found = pin_mismatch(&io).expect("found");
        assert!(found.to_string().starts_with(
            "the room's certificate does not match the fingerprint in your join line: it is A"
        ));
    }
}
