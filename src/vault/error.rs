//! What went wrong talking to Vault, in words a learner can act on.
//!
//! Nothing here ever holds the token or a secret: errors carry the address, the method and
//! path, the status and Vault's own `errors` strings (which name paths and parameters, not
//! secret values).

use std::error::Error as _;

use vaultlab_wire::envelope::ErrorBody;

/// Why a server could not be reached at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnreachableKind {
    /// Nothing listens at the address (connection refused).
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No answer within the client timeout.
    Timeout,
    /// Any other transport failure (reset, broken pipe…).
    Other,
}

/// Why a token was refused a path, as `sys/capabilities-self` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Access {
    /// Not asked (no token was sent, or the refused call was that very question).
    #[default]
    NotChecked,
    /// The token lacks `needed` on the path; `has` is what it may do there (`deny` if
    /// nothing).
    Lacks {
        needed: &'static str,
        has: Vec<String>,
    },
    /// Vault refused even to say what the token may do or to look it up (both are in the
    /// `default` policy): the token itself is no good, expired or revoked (or it was made
    /// without `default`, which looks the same from here). `from_file`
    /// when it came from `~/.vault-token`, which is read again on every request.
    TokenRejected { from_file: bool },
    /// The capabilities could not be read for another reason, given here.
    Unknown(String),
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::NotChecked => Ok(()),
            Access::Lacks { needed, has } => {
                write!(f, ": needs {needed}; this token has: {}", has.join(", "))
            }
            Access::TokenRejected { .. } => write!(
                f,
                ": Vault refused the token itself: it has expired or was revoked (or it was made without the default policy)"
            ),
            Access::Unknown(why) => write!(f, " (its capabilities could not be read: {why})"),
        }
    }
}

/// The capability a request needs, given what the token has on the path. A write is
/// `create` for a new entry and `update` for an existing one, where the backend tells
/// them apart; `sys/` endpoints always need `update`.
pub fn needed_capability(method: &str, path: &str, has: &[String]) -> &'static str {
    let has = |c: &str| has.iter().any(|h| h == c);
    match method {
        "GET" | "HEAD" => "read",
        "LIST" => "list",
        "DELETE" => "delete",
        _ if path.starts_with("sys/") => "update",
        _ if has("update") && !has("create") => "create",
        _ if has("create") && !has("update") => "update",
        _ => "create or update",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("invalid {setting}: {reason}")]
    Config { setting: String, reason: String },

    #[error("cannot reach Vault at {addr}: {reason}")]
    Unreachable {
        addr: String,
        kind: UnreachableKind,
        reason: String,
        /// The Vault is a workshop room's, reached from a seat (set by the client).
        in_room: bool,
    },

    #[error("TLS with Vault at {addr} failed: {reason}")]
    Tls { addr: String, reason: String },

    #[error("Vault at {addr} is sealed ({method} {path}: {})", words(.errors))]
    Sealed {
        addr: String,
        method: String,
        path: String,
        errors: Vec<String>,
    },

    #[error("Vault at {addr} is not initialized ({method} {path}: {})", words(.errors))]
    Uninitialized {
        addr: String,
        method: String,
        path: String,
        errors: Vec<String>,
    },

    #[error("Vault at {addr} is a standby node that did not serve {method} {path}: {}", words(.errors))]
    Standby {
        addr: String,
        method: String,
        path: String,
        errors: Vec<String>,
    },

    #[error("permission denied on {method} {path}{access} (Vault: {})", words(.errors))]
    PermissionDenied {
        method: String,
        path: String,
        errors: Vec<String>,
        /// Whether a token was sent at all.
        token_sent: bool,
        /// What `sys/capabilities-self` said about this token and path.
        access: Access,
    },

    #[error("Vault rejected {method} {path} ({status}): {}", words(.errors))]
    InvalidRequest {
        method: String,
        path: String,
        status: u16,
        errors: Vec<String>,
    },

    #[error("nothing at {path} ({method} got 404{})", if .errors.is_empty() { String::new() } else { format!(": {}", words(.errors)) })]
    NotFound {
        method: String,
        path: String,
        errors: Vec<String>,
    },

    #[error("Vault rate-limited {method} {path} (429): {}", words(.errors))]
    RateLimited {
        method: String,
        path: String,
        errors: Vec<String>,
    },

    #[error("Vault failed {method} {path} ({status}): {}", words(.errors))]
    Server {
        method: String,
        path: String,
        status: u16,
        errors: Vec<String>,
    },

    #[error("the {engine} secrets engine is not available on this server ({method} {path}: {})", words(.errors))]
    EngineNotAvailable {
        engine: String,
        method: String,
        path: String,
        errors: Vec<String>,
    },

    #[error("unexpected response to {method} {path} ({status}): {reason}")]
    UnexpectedResponse {
        method: String,
        path: String,
        status: u16,
        reason: String,
    },
}

/// What to do when a workshop room does not answer a seat: its Vault and its AWS alike.
pub const ROOM_UNREACHABLE: &str = "The room does not answer: check that this computer is still on the room's network, and ask the facilitator whether the room is running (a room restarted with its state gives your seat back).";

impl VaultError {
    /// What to do next, in one sentence.
    pub fn hint(&self) -> &str {
        match self {
            VaultError::Config { .. } => {
                "Fix or unset that environment variable (see `vault -h` for the VAULT_* settings)."
            }
            VaultError::Unreachable { in_room: true, .. } => ROOM_UNREACHABLE,
            VaultError::Unreachable { kind, .. } => match kind {
                UnreachableKind::Refused => {
                    "Nothing is listening there: start Vault (e.g. `vault server -dev`) or check VAULT_ADDR (or --address) and its port."
                }
                UnreachableKind::Dns => {
                    "The host name does not resolve: check the spelling of VAULT_ADDR (or --address) and your DNS."
                }
                UnreachableKind::Timeout => {
                    "Vault did not answer in time: check the network, a proxy (HTTPS_PROXY/NO_PROXY) or raise VAULT_CLIENT_TIMEOUT (or --client-timeout)."
                }
                UnreachableKind::Other => {
                    "The connection failed: check VAULT_ADDR (or --address), the network and any proxy settings."
                }
            },
            VaultError::Tls { .. } => {
                "Check the scheme (http:// vs https://) in VAULT_ADDR; for a private CA set VAULT_CACERT or VAULT_CAPATH (--ca-cert, --ca-path); VAULT_SKIP_VERIFY=true (--tls-skip-verify) only for a throwaway dev server."
            }
            VaultError::Sealed { .. } => {
                "Unseal Vault first (`vault operator unseal`, with the unseal key(s)); a dev server is unsealed again by restarting it."
            }
            VaultError::Uninitialized { .. } => {
                "Initialise Vault first (`vault operator init`), then unseal it."
            }
            VaultError::Standby { .. } => {
                "Point VAULT_ADDR at the active node (see `vault status`), or enable request forwarding."
            }
            VaultError::PermissionDenied {
                token_sent,
                access,
                errors,
                ..
            } => match access {
                _ if room_hold(errors).is_some() => {
                    "The workshop's facilitator holds the room at an earlier step: this one opens when they say so."
                }
                _ if !*token_sent => {
                    "No token was sent: set VAULT_TOKEN or run `vault login` (which writes ~/.vault-token)."
                }
                Access::Lacks { .. } => {
                    "Ask your Vault admin for a policy granting that capability on that path, or use a token that has it (`vault token capabilities <path>` shows what a token may do)."
                }
                Access::TokenRejected { from_file: true } => {
                    "Log in again: `vault login` in any terminal writes ~/.vault-token, which vaultlab reads on every request; then retry."
                }
                Access::TokenRejected { from_file: false } => {
                    "Get a new token (`vault login`, or ask your admin), set VAULT_TOKEN to it, and start vaultlab again (or unset VAULT_TOKEN to use ~/.vault-token, read on every request)."
                }
                Access::NotChecked | Access::Unknown(_) => {
                    "The token is invalid or expired, or its policies do not allow this path: check `vault token lookup` and `vault token capabilities <path>`."
                }
            },
            VaultError::InvalidRequest { errors, .. } => {
                let said = errors.join(" ");
                if said.contains("already in use") {
                    "Something is already mounted there: use it, pick another -path, or disable it first (`vault secrets disable <path>`)."
                } else if said.contains("HTTP request to an HTTPS server") {
                    "The server speaks HTTPS: use https:// in VAULT_ADDR."
                } else if said.contains("invalid lease") || said.contains("lease not found") {
                    "That lease does not exist (any more): it was revoked or has expired; generate new credentials."
                } else if said.contains("not renewable") {
                    "This lease cannot be renewed; generate new credentials before it expires."
                } else if said.contains("max TTL") {
                    "The lease reached its maximum TTL; generate new credentials."
                } else {
                    "Vault rejected the parameters: read its message above and fix the request."
                }
            }
            VaultError::NotFound { errors, .. } => {
                if errors.iter().any(|e| e.contains("no handler for route")) {
                    "No secrets engine is mounted at that path: enable it first (`vault secrets enable -path=<path> <type>`)."
                } else {
                    "Nothing has been written there yet (a config or role is read before it is written): write it first."
                }
            }
            VaultError::RateLimited { .. } => {
                "A rate-limit or lease-count quota was hit: wait a moment and retry, or revoke unused leases."
            }
            VaultError::Server { .. } => {
                "Vault failed internally or upstream (e.g. AWS): read its message, check the server log, and retry."
            }
            VaultError::EngineNotAvailable { .. } => {
                "This server has no such plugin (OpenBao ships without the AWS engine): register it (openbao-plugin-secrets-aws) or use vaultlab's built-in sandbox."
            }
            VaultError::UnexpectedResponse { .. } => {
                "The server answered in a way Vault does not: check that VAULT_ADDR points at Vault and not at a proxy or another service."
            }
        }
    }

    /// Vault's own `errors` strings, when the server answered with any.
    pub fn vault_errors(&self) -> &[String] {
        match self {
            VaultError::Sealed { errors, .. }
            | VaultError::Uninitialized { errors, .. }
            | VaultError::Standby { errors, .. }
            | VaultError::PermissionDenied { errors, .. }
            | VaultError::InvalidRequest { errors, .. }
            | VaultError::NotFound { errors, .. }
            | VaultError::RateLimited { errors, .. }
            | VaultError::Server { errors, .. }
            | VaultError::EngineNotAvailable { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            VaultError::Sealed { .. }
            | VaultError::Uninitialized { .. }
            | VaultError::Standby { .. } => Some(503),
            VaultError::PermissionDenied { .. } => Some(403),
            VaultError::NotFound { .. } => Some(404),
            VaultError::RateLimited { .. } => Some(429),
            VaultError::EngineNotAvailable { .. } => Some(400),
            VaultError::InvalidRequest { status, .. }
            | VaultError::Server { status, .. }
            | VaultError::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Vault's errors as one line: the go-multierror wrapping
/// (`"1 error occurred:\n\t* permission denied\n\n"`) is unwrapped to its items.
pub fn words(errors: &[String]) -> String {
    let mut items = Vec::new();
    for error in errors {
        let trimmed = error.trim();
        let is_multierror = trimmed
            .lines()
            .next()
            .is_some_and(|first| first.ends_with("occurred:") && first.contains("error"));
        if is_multierror {
            items.extend(
                trimmed
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.trim().strip_prefix("* "))
                    .map(str::to_owned),
            );
        } else if !trimmed.is_empty() {
            items.push(trimmed.to_owned());
        }
    }
    if items.is_empty() {
        "(no message)".to_owned()
    } else {
        items.join("; ")
    }
}

/// Vault's `errors` from a response body; a non-JSON body (a proxy's HTML page, Vault's plain
/// "Client sent an HTTP request to an HTTPS server.") becomes its first line, shortened.
pub fn errors_from_body(body: &[u8]) -> Vec<String> {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        return parsed.errors;
    }
    let text = String::from_utf8_lossy(body);
    let first_line = text.lines().map(str::trim).find(|l| !l.is_empty());
    match first_line {
        Some(line) => {
            let mut line = line.to_owned();
            if line.len() > 200 {
                let mut cut = 200;
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.truncate(cut);
                line.push('…');
            }
            vec![line]
        }
        None => Vec::new(),
    }
}

/// A workshop room's refusal of a step its facilitator holds (`permission denied: the
/// facilitator holds the room at step k; …`): those words, after `permission denied: `.
pub fn room_hold(errors: &[String]) -> Option<&str> {
    errors.iter().find_map(|m| {
        m.strip_prefix("permission denied: ")
            .filter(|words| words.starts_with("the facilitator holds the room"))
    })
}

/// Classifies a non-success answer from Vault. `token_sent` tells a 403 apart: a missing
/// token and a refused one need different fixes.
pub fn classify(
    addr: &str,
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
    token_sent: bool,
) -> VaultError {
    let errors = errors_from_body(body);
    let method = method.to_owned();
    let path = path.to_owned();
    let said = errors.join("\n");
    if let Some(engine) = said
        .lines()
        .find_map(|l| l.split("plugin not found in the catalog: ").nth(1))
    {
        return VaultError::EngineNotAvailable {
            engine: engine.trim().trim_matches('"').to_owned(),
            method,
            path,
            errors,
        };
    }
    match status {
        400 => VaultError::InvalidRequest {
            method,
            path,
            status,
            errors,
        },
        403 => VaultError::PermissionDenied {
            method,
            path,
            errors,
            token_sent,
            access: Access::NotChecked,
        },
        404 => VaultError::NotFound {
            method,
            path,
            errors,
        },
        429 => VaultError::RateLimited {
            method,
            path,
            errors,
        },
        503 if said.contains("is sealed") => VaultError::Sealed {
            addr: addr.to_owned(),
            method,
            path,
            errors,
        },
        503 if said.contains("not initialized") => VaultError::Uninitialized {
            addr: addr.to_owned(),
            method,
            path,
            errors,
        },
        503 if said.contains("not active")
            || said.contains("no active")
            || said.contains("standby") =>
        {
            VaultError::Standby {
                addr: addr.to_owned(),
                method,
                path,
                errors,
            }
        }
        300..=399 => VaultError::UnexpectedResponse {
            method,
            path,
            status,
            reason: "a redirect that was not followed (Vault's client follows one 307 to the active node)".into(),
        },
        500..=599 => VaultError::Server {
            method,
            path,
            status,
            errors,
        },
        401 | 405..=499 if !errors.is_empty() => VaultError::InvalidRequest {
            method,
            path,
            status,
            errors,
        },
        _ => VaultError::UnexpectedResponse {
            method,
            path,
            status,
            reason: if errors.is_empty() {
                "no error message in the body".into()
            } else {
                words(&errors)
            },
        },
    }
}

/// The errors beneath a transport failure, outermost first: where its real cause (an I/O
/// error, hyper's) can be found.
pub fn causes(error: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(error.source(), |e| (*e).source())
}

/// Classifies a transport failure (no HTTP answer). The URL is left out of the reason: the
/// address is named instead.
pub fn from_transport(addr: &str, error: &reqwest::Error) -> VaultError {
    let refused = causes(error).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    });
    let chain: Vec<String> = causes(error).map(ToString::to_string).collect();
    let all = chain.join(": ").to_lowercase();
    let innermost = chain
        .last()
        .cloned()
        .unwrap_or_else(|| "no details".to_owned());
    let addr = addr.to_owned();
    let tls_words = [
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "invalidcontenttype",
        "corrupt message",
        "peer sent",
        "unknownissuer",
    ];
    if error.is_timeout() {
        VaultError::Unreachable {
            addr,
            kind: UnreachableKind::Timeout,
            reason: "timed out waiting for an answer".into(),
            in_room: false,
        }
    } else if refused {
        VaultError::Unreachable {
            addr,
            kind: UnreachableKind::Refused,
            reason: "connection refused".into(),
            in_room: false,
        }
    } else if all.contains("dns error") || all.contains("failed to lookup address") {
        VaultError::Unreachable {
            addr,
            kind: UnreachableKind::Dns,
            reason: format!("cannot resolve the host name ({innermost})"),
            in_room: false,
        }
    } else if tls_words.iter().any(|w| all.contains(w)) {
        let reason = if all.contains("invalidcontenttype") || all.contains("corrupt message") {
            format!("{innermost} (the server answered in plain HTTP: use http://)")
        } else {
            innermost
        };
        VaultError::Tls { addr, reason }
    } else {
        VaultError::Unreachable {
            addr,
            kind: UnreachableKind::Other,
            reason: if chain.is_empty() {
                "the request failed before any answer".to_owned()
            } else {
                chain.join(": ")
            },
            in_room: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: u16, body: &str) -> VaultError {
        classify(
            "http://127.0.0.1:8200",
            "PUT",
            "sys/x",
            status,
            body.as_bytes(),
            true,
        )
    }

    #[test]
    fn engine_not_available_from_openbao_words() {
        let e = classify(
            "http://127.0.0.1:8200",
            "POST",
            "sys/mounts/aws",
            400,
            br#"{"errors":["plugin not found in the catalog: aws"]}"#,
            true,
        );
        match &e {
            VaultError::EngineNotAvailable {
                engine,
                path,
                errors,
                ..
            } => {
                assert_eq!(engine, "aws");
                assert_eq!(path, "sys/mounts/aws");
                assert_eq!(errors, &["plugin not found in the catalog: aws"]);
            }
            other => panic!("{other:?}"),
        }
        let shown = e.to_string();
        assert!(
            shown.contains("plugin not found in the catalog: aws"),
            "{shown}"
        );
        assert!(e.hint().contains("OpenBao"));
    }

    #[test]
    fn a_step_the_room_holds_says_so_in_the_servers_words() {
        let held = c(
            403,
            r#"{"errors":["permission denied: the facilitator holds the room at step 3; step 4 (read credentials) opens when they say so"]}"#,
        );
        assert!(
            held.to_string()
                .contains("step 4 (read credentials) opens when they say so")
        );
        assert!(
            held.hint().contains("facilitator holds the room"),
            "{}",
            held.hint()
        );
        let plain = c(403, r#"{"errors":["permission denied"]}"#);
        assert!(!plain.hint().contains("facilitator"));
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert!(matches!(
            c(400, r#"{"errors":["path is already in use at aws/"]}"#),
            VaultError::InvalidRequest { status: 400, ref errors, .. } if errors[0] == "path is already in use at aws/"
        ));
        assert!(matches!(
            c(403, r#"{"errors":["permission denied"]}"#),
            VaultError::PermissionDenied { ref path, token_sent: true, .. } if path == "sys/x"
        ));
        assert!(matches!(
            c(404, r#"{"errors":[]}"#),
            VaultError::NotFound { ref errors, .. } if errors.is_empty()
        ));
        assert!(matches!(
            c(
                429,
                r#"{"errors":["request path \"sys/x\": rate limit quota exceeded"]}"#
            ),
            VaultError::RateLimited { .. }
        ));
        assert!(matches!(
            c(
                500,
                r#"{"errors":["1 error occurred:\n\t* internal error\n\n"]}"#
            ),
            VaultError::Server { status: 500, .. }
        ));
        assert!(matches!(
            c(502, r#"{"errors":["Throttling: Rate exceeded"]}"#),
            VaultError::Server { status: 502, .. }
        ));
        assert!(matches!(
            c(503, r#"{"errors":["Vault is sealed"]}"#),
            VaultError::Sealed { .. }
        ));
        assert!(matches!(
            c(503, r#"{"errors":["node is not active"]}"#),
            VaultError::Standby { .. }
        ));
        assert!(matches!(
            c(503, r#"{"errors":["Vault is not initialized"]}"#),
            VaultError::Uninitialized { .. }
        ));
        assert!(matches!(
            c(307, ""),
            VaultError::UnexpectedResponse { status: 307, .. }
        ));
        assert!(matches!(
            c(200, "<html>"),
            VaultError::UnexpectedResponse { status: 200, .. }
        ));
    }

    #[test]
    fn display_names_the_request_and_vaults_words() {
        let e = c(
            403,
            r#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#,
        );
        assert_eq!(
            e.to_string(),
            "permission denied on PUT sys/x (Vault: permission denied)"
        );
        let e = classify(
            "http://127.0.0.1:8200",
            "GET",
            "aws/roles/my-role",
            404,
            br#"{"errors":[]}"#,
            true,
        );
        assert_eq!(e.to_string(), "nothing at aws/roles/my-role (GET got 404)");
        assert!(e.hint().contains("written"));
        let e = classify(
            "http://127.0.0.1:8200",
            "GET",
            "aws/creds/x",
            404,
            br#"{"errors":["no handler for route \"aws/creds/x\". route entry not found."]}"#,
            true,
        );
        assert!(e.to_string().contains("no handler for route"), "{e}");
        assert!(e.hint().contains("enable"));
        let sealed = c(503, r#"{"errors":["Vault is sealed"]}"#);
        assert_eq!(
            sealed.to_string(),
            "Vault at http://127.0.0.1:8200 is sealed (PUT sys/x: Vault is sealed)"
        );
    }

    #[test]
    fn a_missing_token_gets_its_own_hint() {
        let without = classify(
            "a",
            "GET",
            "sys/mounts",
            403,
            br#"{"errors":["permission denied"]}"#,
            false,
        );
        let with = classify(
            "a",
            "GET",
            "sys/mounts",
            403,
            br#"{"errors":["permission denied"]}"#,
            true,
        );
        assert!(without.hint().contains("No token"));
        assert!(!with.hint().contains("No token"));
    }

    #[test]
    fn a_refusal_names_the_missing_capability_or_the_dead_token() {
        let denied = |access: Access| VaultError::PermissionDenied {
            method: "POST".into(),
            path: "sys/mounts/aws".into(),
            errors: vec!["permission denied".into()],
            token_sent: true,
            access,
        };
        let e = denied(Access::Lacks {
            needed: "update",
            has: vec!["read".into()],
        });
        assert_eq!(
            e.to_string(),
            "permission denied on POST sys/mounts/aws: needs update; this token has: read (Vault: permission denied)"
        );
        assert!(e.hint().contains("policy granting"), "{}", e.hint());
        let e = denied(Access::TokenRejected { from_file: true });
        assert!(e.to_string().contains("expired"), "{e}");
        assert!(e.hint().contains("vault login"), "{}", e.hint());
        let e = denied(Access::TokenRejected { from_file: false });
        assert!(e.hint().contains("VAULT_TOKEN"), "{}", e.hint());
    }

    #[test]
    fn the_needed_capability_follows_the_method_and_what_the_token_has() {
        let has = |caps: &[&str]| caps.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            needed_capability("GET", "aws/creds/r", &has(&["deny"])),
            "read"
        );
        assert_eq!(needed_capability("LIST", "aws/roles", &has(&[])), "list");
        assert_eq!(
            needed_capability("DELETE", "sys/mounts/aws", &has(&[])),
            "delete"
        );
        assert_eq!(
            needed_capability("POST", "sys/mounts/aws", &has(&["read"])),
            "update"
        );
        assert_eq!(
            needed_capability("PUT", "sys/leases/revoke", &has(&["create"])),
            "update"
        );
        assert_eq!(
            needed_capability("PUT", "aws/roles/r", &has(&["update"])),
            "create"
        );
        assert_eq!(
            needed_capability("PUT", "aws/roles/r", &has(&["create", "read"])),
            "update"
        );
        assert_eq!(
            needed_capability("PUT", "aws/config/root", &has(&["read"])),
            "create or update"
        );
    }

    #[test]
    fn plain_text_bodies_are_kept_short() {
        let e = c(400, "Client sent an HTTP request to an HTTPS server.\n");
        assert_eq!(
            e.vault_errors(),
            &["Client sent an HTTP request to an HTTPS server."]
        );
        assert!(e.hint().contains("https://"));
        let long = "x".repeat(1000);
        let e = c(502, &long);
        assert!(e.vault_errors()[0].chars().count() <= 201);
    }

    #[test]
    fn multierror_is_unwrapped() {
        assert_eq!(
            words(&["2 errors occurred:\n\t* a\n\t* b\n\n".to_owned()]),
            "a; b"
        );
        assert_eq!(words(&[]), "(no message)");
    }
}
