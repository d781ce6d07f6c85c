//! Secrets that must be stored, not only held.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret the sandbox keeps in its own state file (written 0600), as Vault keeps secrets
/// in its storage. It serializes in clear for that one purpose; `Debug` never shows it, so
/// it cannot leak through a log line or a panic message.
#[derive(Clone)]
pub struct PersistedSecret(SecretString);

impl PersistedSecret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn as_secret(&self) -> &SecretString {
        &self.0
    }
}

impl std::fmt::Debug for PersistedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for PersistedSecret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Serialize for PersistedSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for PersistedSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = PersistedSecret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert!(!format!("{:?}", Some(&secret)).contains("wJalr"));
    }

    #[test]
    fn round_trips_through_json_for_the_state_file() {
        let secret = PersistedSecret::new("s3cr3t");
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, "\"s3cr3t\"");
        let back: PersistedSecret = serde_json::from_str(&json).unwrap();
        assert_eq!(back, secret);
    }
}
