//! Vault's JSON envelopes as they travel over HTTP.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The response envelope Vault wraps around every successful reply that has a body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Envelope {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub lease_id: String,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub lease_duration: u64,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub wrap_info: Option<Value>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    #[serde(default)]
    pub auth: Option<Value>,
}

/// Vault's error body: `{"errors":["…"]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ErrorBody {
    pub errors: Vec<String>,
}
