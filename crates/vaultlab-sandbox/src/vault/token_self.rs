//! `auth/token/renew-self` and `lookup-accessor` for tokens other than the root token,
//! with OpenBao 2.7's answers in a namespace: the `-self` paths are served in the token's
//! own namespace (dispatch moves them there), `lookup-accessor` in the request's namespace
//! only. Revoking a token is `token_revoke`.

use chrono::Duration;
use serde_json::{Value, json};

use super::VaultServer;
use super::duration::{self, format_go_duration};
use super::http::{Operation, Reply, VaultRequest};
use super::tokens::{self, MAX_TOKEN_TTL, TokenEntry};

/// OpenBao's multierror form of one message, as its token store words its own errors.
fn multierror(message: &str) -> String {
    format!("1 error occurred:\n\t* {message}\n\n")
}

impl VaultServer {
    /// Renews the caller's token by `increment` (the TTL last granted when none), no further
    /// than the system's max TTL from its creation.
    pub(super) fn token_renew_self(&self, req: &VaultRequest, entry: &TokenEntry) -> Reply {
        if req.operation != Operation::Update {
            return Reply::unsupported_operation();
        }
        if entry.ttl == 0 {
            return Reply::bad_request("lease is not renewable");
        }
        let increment = match req.data.get("increment") {
            None => 0,
            Some(value) => match duration::parse_duration_second(value) {
                Ok(n) => n.max(0),
                Err(why) => {
                    return Reply::bad_request(format!(
                        "Field validation failed: error converting input for field \"increment\": {why}"
                    ));
                }
            },
        };
        let now = self.now();
        let asked = match increment {
            0 => entry.renewed_ttl.unwrap_or(entry.ttl),
            n => n,
        };
        // The effective max TTL counts from the token's creation.
        let left = (entry.created + Duration::seconds(MAX_TOKEN_TTL) - now)
            .num_seconds()
            .max(0);
        let granted = asked.min(left);
        let warnings = (asked > left).then(|| {
            let shown = match req.data.get("increment") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => format!("{other}s"),
                None => format_go_duration(asked),
            };
            vec![format!(
                "TTL of {shown:?} exceeded the effective max_ttl of {:?}; TTL value is capped accordingly",
                format_go_duration(left)
            )]
        });
        let token = req.token.clone().unwrap_or_default();
        let renewed = {
            let mut state = self.lock();
            let Some(stored) = state.tokens.get_mut(&tokens::key(&token)) else {
                return Reply::permission_denied();
            };
            stored.expire_time = Some(now + Duration::seconds(granted));
            stored.last_renewal = Some(now);
            stored.renewed_ttl = Some(granted);
            let renewed = stored.clone();
            state.token_expiry.note(renewed.expire_time);
            renewed
        };
        self.changed();
        let mut auth = renewed.auth_json(&token);
        auth["lease_duration"] = json!(granted);
        Reply::auth(auth, warnings)
    }

    /// Looks a token up by its accessor, in the request's namespace only (`id` left empty).
    pub(super) fn token_lookup_accessor(&self, req: &VaultRequest, tail: &str) -> Reply {
        if !tail.is_empty() {
            return Reply::error(
                axum::http::StatusCode::NOT_FOUND,
                multierror("unsupported path"),
            );
        }
        if req.operation != Operation::Update {
            return Reply::unsupported_operation();
        }
        let accessor = req.str_field("accessor").unwrap_or_default();
        if accessor.is_empty() {
            return Reply::bad_request(multierror("missing accessor"));
        }
        let now = self.now();
        let found = self
            .lock()
            .tokens
            .values()
            .find(|t| t.accessor == accessor && !t.expired(now))
            .cloned();
        match found {
            Some(entry) if entry.namespace == req.ns.path => {
                Reply::data(entry.lookup_json("", now))
            }
            // OpenBao answers an accessor it cannot find in a namespace as one of another.
            None if req.ns.is_root() => Reply::bad_request(multierror("invalid accessor")),
            _ => Reply::error(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                multierror("cannot lookup token in different namespace"),
            ),
        }
    }
}
