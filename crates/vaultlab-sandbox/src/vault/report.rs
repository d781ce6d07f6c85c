//! Telling the event stream about each Vault request: method, path, status, the first error
//! in Vault's words, who asked (the root token, another token, nobody). Never the token or
//! a body.

use std::time::Duration;

use axum::http::Method;

use super::VaultServer;
use super::http::Reply;
use super::namespace::NsRef;
use crate::events::{self, Client, Detail, VaultCall};

impl VaultServer {
    pub(super) fn report(
        &self,
        method: &Method,
        ns: &NsRef,
        path: &str,
        token: Option<&str>,
        reply: &Reply,
        elapsed: Duration,
    ) {
        let client = match token {
            None => Client::Anonymous,
            Some(t) if self.is_root_token(Some(t)) => Client::Root,
            Some(_) => Client::Token,
        };
        let error = reply
            .body
            .as_ref()
            .and_then(|b| b.get("errors"))
            .and_then(|e| e.get(0))
            .and_then(|e| e.as_str())
            .map(events::bounded_error);
        self.events.emit(Detail::Vault(VaultCall {
            namespace: ns.display().to_owned(),
            method: method.as_str().to_owned(),
            path: path.trim_start_matches('/').to_owned(),
            status: reply.status.as_u16(),
            duration_ms: events::millis(elapsed),
            client,
            error,
        }));
    }
}
