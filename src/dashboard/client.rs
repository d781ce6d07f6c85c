//! The room's control endpoints over HTTP, with the facilitator's (root) token: the only
//! way the dashboard reads or changes the room, so it works against a room served
//! elsewhere as well as the one it started.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use vaultlab_wire::room::{RoomReport, RoomStatus, SeatLog};

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
    /// `addr`: `http://127.0.0.1:8200`, without a trailing slash.
    pub fn new(addr: &str, token: SecretString) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self {
            http,
            addr: addr.trim_end_matches('/').to_owned(),
            token,
        })
    }

    pub async fn status(&self) -> Result<RoomStatus, String> {
        self.call(Method::GET, "/vaultlab/room", None).await
    }

    pub async fn seat_log(&self, seat: &str) -> Result<SeatLog, String> {
        let path = format!("/vaultlab/room/seats/{}/events?limit=200", segment(seat));
        self.call(Method::GET, &path, None).await
    }

    pub async fn broadcast(&self, message: &str) -> Result<(), String> {
        self.call_empty("/vaultlab/room/broadcast", json!({ "message": message }))
            .await
    }

    pub async fn pace(&self, step: Option<u8>) -> Result<(), String> {
        self.call_empty("/vaultlab/room/pace", json!({ "step": step }))
            .await
    }

    /// The number of seats whose leases were shortened.
    pub async fn short_leases(&self) -> Result<usize, String> {
        let answer: Value = self
            .call(
                Method::POST,
                "/vaultlab/room/short-leases",
                Some(json!({"ttl": "2m", "max_ttl": "5m"})),
            )
            .await?;
        Ok(answer["seats"].as_u64().unwrap_or(0) as usize)
    }

    /// The number of leases revoked.
    pub async fn revoke_seat(&self, seat: &str) -> Result<usize, String> {
        let path = format!("/vaultlab/room/seats/{}/revoke", segment(seat));
        let answer: Value = self.call(Method::POST, &path, None).await?;
        Ok(answer["revoked"].as_u64().unwrap_or(0) as usize)
    }

    /// Ending revokes every lease of every seat before the room answers: it gets minutes,
    /// not the 10 s other calls get, so a big room's report is not lost to a timeout.
    pub async fn end(&self) -> Result<RoomReport, String> {
        let bytes = self
            .send_with(Method::POST, "/vaultlab/room/end", None, Some(END_TIMEOUT))
            .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} answered what is not a room's answer ({e})", self.addr))
    }

    async fn call_empty(&self, path: &str, body: Value) -> Result<(), String> {
        self.send(Method::POST, path, Some(body)).await.map(|_| ())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, String> {
        let bytes = self.send(method, path, body).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} answered what is not a room's answer ({e})", self.addr))
    }

    /// The answer's body on success; otherwise the room's own words (`{"errors":[…]}`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Vec<u8>, String> {
        self.send_with(method, path, body, None).await
    }

    /// `send`, with a timeout of its own in place of the client's.
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, String> {
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
        let response = request
            .send()
            .await
            .map_err(|e| format!("no room answers at {}: {}", self.addr, without_url(&e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("the room's answer broke off: {}", without_url(&e)))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(refusal(status, &bytes))
    }
}

/// A refusal in the room's words, with its status.
fn refusal(status: StatusCode, body: &[u8]) -> String {
    let words = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["errors"][0].as_str().map(str::to_owned));
    match words {
        Some(words) => format!("{words} ({})", status.as_u16()),
        None => format!("the room answered {status}"),
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
            ),
            "permission denied (403)"
        );
        assert_eq!(
            refusal(StatusCode::BAD_GATEWAY, b"<html>"),
            "the room answered 502 Bad Gateway"
        );
    }

    #[test]
    fn seat_names_are_encoded_in_paths() {
        assert_eq!(segment("ada-1_b"), "ada-1_b");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
