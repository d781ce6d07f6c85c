//! The room's control endpoints over HTTP(S), with the facilitator's (root) token: the
//! one client the dashboard and `vaultlab room status|broadcast|…` read and change a room
//! with, so the dashboard works against a room served elsewhere as well as the one it
//! started. A room served with --tls is trusted by its certificate's fingerprint alone
//! (kept in its control file), here and nowhere else.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::tls_pin::{Pin, pin_mismatch};
use vaultlab_wire::room::{RoomReport, RoomStatus, SeatLog};

/// Why the room did not do what it was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    /// Nothing answered (`connect`: nothing listens there at all).
    #[error("no room answers at {addr}: {why}")]
    Unreachable {
        addr: String,
        why: String,
        connect: bool,
    },
    /// Something answered with another certificate than the room's.
    #[error("{0}")]
    NotTheRoom(String),
    /// The room refused, in its own words.
    #[error("{}", refusal_text(*status, words.as_deref()))]
    Refused { status: u16, words: Option<String> },
    #[error("{0}")]
    Other(String),
}

fn refusal_text(status: u16, words: Option<&str>) -> String {
    match words {
        Some(words) => format!("{words} ({status})"),
        None => format!(
            "the room answered {}",
            StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string())
        ),
    }
}

/// How long ending a room may take (the command line's `room end` waits as long).
const END_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct RoomControl {
    http: reqwest::Client,
    addr: String,
    token: SecretString,
}

impl std::fmt::Debug for RoomControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomControl")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RoomControl {
    /// `addr`: `http://127.0.0.1:8200`, without a trailing slash; `pin`: the certificate
    /// of a room served with --tls.
    pub fn new(addr: &str, token: SecretString, pin: Option<&Pin>) -> Result<Self, ControlError> {
        let http = Pin::http_builder(pin)
            .map_err(|e| ControlError::Other(e.to_string()))?
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ControlError::Other(format!("cannot make an HTTP client: {e}")))?;
        Ok(Self {
            http,
            addr: addr.trim_end_matches('/').to_owned(),
            token,
        })
    }

    pub async fn status(&self) -> Result<RoomStatus, ControlError> {
        self.call(Method::GET, "/vaultlab/room", None).await
    }

    pub async fn seat_log(&self, seat: &str) -> Result<SeatLog, ControlError> {
        let path = format!("/vaultlab/room/seats/{}/events?limit=200", segment(seat));
        self.call(Method::GET, &path, None).await
    }

    pub async fn broadcast(&self, message: &str) -> Result<(), ControlError> {
        self.call_empty("/vaultlab/room/broadcast", json!({ "message": message }))
            .await
    }

    pub async fn pace(&self, step: Option<u8>) -> Result<(), ControlError> {
        self.call_empty("/vaultlab/room/pace", json!({ "step": step }))
            .await
    }

    /// The number of seats whose leases were shortened.
    pub async fn short_leases(&self) -> Result<usize, ControlError> {
        let answer: Value = self
            .call(
                Method::POST,
                "/vaultlab/room/short-leases",
                Some(json!({"ttl": "2m", "max_ttl": "5m"})),
            )
            .await?;
        Ok(answer["seats"].as_u64().unwrap_or(0) as usize)
    }

    /// Short leases off: every seat's `config/lease` back to the engine's defaults. The
    /// number of seats.
    pub async fn short_leases_off(&self) -> Result<usize, ControlError> {
        let answer: Value = self
            .call(Method::DELETE, "/vaultlab/room/short-leases", None)
            .await?;
        Ok(answer["seats"].as_u64().unwrap_or(0) as usize)
    }

    /// The number of leases revoked.
    pub async fn revoke_seat(&self, seat: &str) -> Result<usize, ControlError> {
        let path = format!("/vaultlab/room/seats/{}/revoke", segment(seat));
        let answer: Value = self.call(Method::POST, &path, None).await?;
        Ok(answer["revoked"].as_u64().unwrap_or(0) as usize)
    }

    /// Ending revokes every lease of every seat before the room answers: it gets minutes,
    /// not the 10 s other calls get, so a big room's report is not lost to a timeout.
    pub async fn end(&self) -> Result<RoomReport, ControlError> {
        let bytes = self
            .send_with(Method::POST, "/vaultlab/room/end", None, Some(END_TIMEOUT))
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ControlError::Other(format!(
                "{} answered what is not a room's answer ({e})",
                self.addr
            ))
        })
    }

    async fn call_empty(&self, path: &str, body: Value) -> Result<(), ControlError> {
        self.send(Method::POST, path, Some(body)).await.map(|_| ())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, ControlError> {
        let bytes = self.send(method, path, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ControlError::Other(format!(
                "{} answered what is not a room's answer ({e})",
                self.addr
            ))
        })
    }

    /// The answer's body on success; otherwise the room's own words (`{"errors":[…]}`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Vec<u8>, ControlError> {
        self.send_with(method, path, body, None).await
    }

    /// `send`, with a timeout of its own in place of the client's.
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, ControlError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.addr))
            .header("X-Vault-Token", self.token.expose_secret());
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| match pin_mismatch(&e) {
            Some(mismatch) => ControlError::NotTheRoom(mismatch.to_string()),
            None => ControlError::Unreachable {
                addr: self.addr.clone(),
                why: without_url(&e),
                connect: e.is_connect(),
            },
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            ControlError::Other(format!("the room's answer broke off: {}", without_url(&e)))
        })?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(refusal(status, &bytes))
    }
}

/// A refusal in the room's words, with its status.
fn refusal(status: StatusCode, body: &[u8]) -> ControlError {
    let words = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["errors"][0].as_str().map(str::to_owned));
    ControlError::Refused {
        status: status.as_u16(),
        words,
    }
}

/// reqwest's error without the URL it repeats.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// A seat's name in a path: names are letters, digits, `-` and `_`, but a name is checked
/// by the room, not here, so anything else is percent-encoded.
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_the_rooms_words_and_status() {
        assert_eq!(
            refusal(
                StatusCode::FORBIDDEN,
                br#"{"errors":["permission denied"]}"#
            )
            .to_string(),
            "permission denied (403)"
        );
        assert_eq!(
            refusal(StatusCode::BAD_GATEWAY, b"<html>").to_string(),
            "the room answered 502 Bad Gateway"
        );
    }

    #[test]
    fn seat_names_are_encoded_in_paths() {
        assert_eq!(segment("ada-1_b"), "ada-1_b");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
