//! The typed Vault HTTP client: generic `read`/`write`/`list`/`delete` that keep the whole
//! envelope (the transport is here; one method per call the lab makes is in `calls`). It knows nothing of any UI; each typed
//! method sends exactly what the same-named builder in [`super::request`] describes, so a
//! caller can show the `curl` equivalent with [`VaultClient::curl_equivalent`].
//!
//! ```no_run
//! use vaultlab::vault::{request, VaultClient, VaultError};
//!
//! # async fn lab() -> Result<(), VaultError> {
//! let vault = VaultClient::from_env()?; // VAULT_ADDR, VAULT_TOKEN or ~/.vault-token, …
//! let step = request::enable_mount("database", "database");
//! println!("{}", vault.curl_equivalent(&step.describe()));
//! match vault.send(&step).await {
//!     Ok(_) => {}
//!     Err(e) => eprintln!("{e}\n{}", e.hint()),
//! }
//! let creds = vault.read("database/creds/my-role").await?;
//! if let Some(envelope) = &creds.envelope {
//!     vault.lease_revoke(&envelope.lease_id, false).await?;
//! }
//! # Ok(())
//! # }
//! ```

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::config::{ProxySettings, TokenSource, VaultConfig};
use super::error::{Access, VaultError, causes, classify, from_transport, needed_capability};
use super::request::{RequestDescription, VaultRequest, curl_line};
use super::types::Reply;
use vaultlab_wire::envelope::Envelope;

/// Statuses `sys/health` answers with a health body.
const HEALTH_STATUSES: &[u16] = &[200, 429, 472, 473, 501, 503];

/// Host names and networks never sent through a proxy (as Go's `ProxyFromEnvironment`).
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

/// Cheap to clone: the HTTP connection pool is shared.
#[derive(Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    config: VaultConfig,
    address: String,
}

impl std::fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultClient")
            .field("config", &self.config)
            .finish()
    }
}

/// A response as it came off the wire, before typing.
struct RawResponse {
    status: u16,
    body: Option<Value>,
}

/// The proxies of `settings`, each for its scheme, loopback excluded: the clients that
/// reach this Vault use these and no others (`no_proxy()` first: not the system's, not
/// `ALL_PROXY`). The lab's AWS calls in a room's seat go the same way as its Vault calls.
pub fn proxies(settings: &ProxySettings) -> Result<Vec<reqwest::Proxy>, VaultError> {
    let exclusions = match &settings.no_proxy {
        Some(list) if !list.trim().is_empty() => format!("{list},{LOOPBACK_NO_PROXY}"),
        _ => LOOPBACK_NO_PROXY.to_owned(),
    };
    let mut proxies = Vec::new();
    for (setting, value, is_https) in [
        ("HTTP_PROXY", &settings.http, false),
        ("HTTPS_PROXY", &settings.https, true),
    ] {
        if let Some(url) = value {
            let proxy = if is_https {
                reqwest::Proxy::https(url.as_str())
            } else {
                reqwest::Proxy::http(url.as_str())
            }
            .map_err(|e| VaultError::Config {
                setting: setting.into(),
                reason: format!("{:?} is not a proxy URL ({e})", without_password(url)),
            })?;
            proxies.push(proxy.no_proxy(reqwest::NoProxy::from_string(&exclusions)));
        }
    }
    Ok(proxies)
}

/// A proxy URL as it may be shown: a password in it (`http://user:pass@host`) becomes
/// `***`, even when the rest of the URL does not parse.
fn without_password(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let Some(at) = url[after_scheme..].rfind('@').map(|i| after_scheme + i) else {
        return url.to_owned();
    };
    match url[after_scheme..at].find(':') {
        Some(colon) => format!("{}:***{}", &url[..after_scheme + colon], &url[at..]),
        None => url.to_owned(),
    }
}

impl VaultClient {
    /// Builds a client: TLS roots from `VAULT_CACERT`/`VAULT_CAPATH`, proxies from the
    /// environment except for loopback, and Vault's redirect rule (one 307/308 to the active
    /// node, method and body kept).
    pub fn new(config: VaultConfig) -> Result<Self, VaultError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("vaultlab/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let redirect_status = matches!(
                    attempt.status(),
                    StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
                );
                if redirect_status && attempt.previous().len() <= 1 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }));

        if !config.timeout.is_zero() {
            builder = builder.timeout(config.timeout);
        }
        // Only the proxies this config names; loopback always goes direct.
        builder = builder.no_proxy();
        for proxy in proxies(&config.proxy)? {
            builder = builder.proxy(proxy);
        }

        let mut roots = Vec::new();
        if let Some(path) = &config.ca_cert {
            roots.extend(read_pem_bundle("VAULT_CACERT", path)?);
        }
        if let Some(dir) = &config.ca_path {
            let entries = std::fs::read_dir(dir).map_err(|e| VaultError::Config {
                setting: "VAULT_CAPATH".into(),
                reason: format!("cannot read directory {}: {e}", dir.display()),
            })?;
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files {
                // Like Go's x509 pool loading: files that are not PEM certificates are skipped.
                if let Ok(certs) = read_pem_bundle("VAULT_CAPATH", &file) {
                    roots.extend(certs);
                }
            }
        }
        if config.ca_cert.is_some() || config.ca_path.is_some() {
            if roots.is_empty() {
                return Err(VaultError::Config {
                    setting: if config.ca_cert.is_some() {
                        "VAULT_CACERT".into()
                    } else {
                        "VAULT_CAPATH".into()
                    },
                    reason: "no PEM certificate found there".into(),
                });
            }
            builder = builder.tls_certs_only(roots);
        }
        if let Some(pin) = &config.pin {
            // A room's pinned certificate is the only one trusted, whatever else is set.
            builder = builder.tls_backend_preconfigured(pin.client_config());
        } else if config.skip_verify {
            builder = builder
                .tls_danger_accept_invalid_certs(true)
                .tls_danger_accept_invalid_hostnames(true);
        }

        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-vault-request"),
            HeaderValue::from_static("true"),
        );
        // The token and namespace go on each request (see `send_raw`); checked here so a
        // bad value is an error at start, not at the first step.
        if let Some(token) = &config.token {
            token_header(token)?;
        }
        if let Some(namespace) = &config.namespace {
            namespace_header(namespace)?;
        }
        builder = builder.default_headers(headers);

        let http = builder.build().map_err(|e| VaultError::Config {
            setting: "client".into(),
            reason: format!("cannot build the HTTP client: {e}"),
        })?;
        let address = config.address_str().to_owned();
        Ok(Self {
            http,
            config,
            address,
        })
    }

    /// A request that got no answer, in words: a room's seat is told of the room.
    fn transport_error(&self, error: &reqwest::Error) -> VaultError {
        let mut error = from_transport(&self.address, error);
        if let VaultError::Unreachable { in_room, .. } = &mut error {
            *in_room = self.config.in_room;
        }
        error
    }

    /// `VaultConfig::from_env()` then `new`.
    pub fn from_env() -> Result<Self, VaultError> {
        Self::new(VaultConfig::from_env()?)
    }

    pub fn config(&self) -> &VaultConfig {
        &self.config
    }

    /// The server address, without a trailing slash.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The `curl` line equivalent to a request, with the token as `$VAULT_TOKEN` and secret
    /// fields masked.
    pub fn curl_equivalent(&self, desc: &RequestDescription) -> String {
        curl_line(
            &self.address,
            self.config.namespace.as_deref(),
            self.config.token.is_some(),
            desc,
        )
    }

    fn url(&self, req: &VaultRequest) -> Result<Url, VaultError> {
        let mut url =
            Url::parse(&format!("{}/", self.address)).map_err(|e| VaultError::Config {
                setting: "VAULT_ADDR".into(),
                reason: e.to_string(),
            })?;
        {
            let mut segments = url.path_segments_mut().map_err(|_| VaultError::Config {
                setting: "VAULT_ADDR".into(),
                reason: "the address cannot carry a path".into(),
            })?;
            segments.pop_if_empty().push("v1");
            segments.extend(req.path.split('/'));
        }
        if req.method == "LIST" {
            url.query_pairs_mut().append_pair("list", "true");
        }
        Ok(url)
    }

    /// The HTTP request for `req`, with the token and namespace headers.
    fn request(
        &self,
        req: &VaultRequest,
        token: Option<&SecretString>,
    ) -> Result<reqwest::RequestBuilder, VaultError> {
        let method = Method::from_bytes(req.wire_method().as_bytes()).expect("valid method");
        let mut builder = self.http.request(method, self.url(req)?);
        if let Some(token) = token {
            builder = builder.header("x-vault-token", token_header(token)?);
        }
        if let Some(namespace) = &self.config.namespace
            && !is_root_namespace_only(&req.path)
        {
            builder = builder.header("x-vault-namespace", namespace_header(namespace)?);
        }
        if let Some(body) = req.body_to_send() {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&body).expect("JSON body"));
        }
        tracing::debug!(method = req.wire_method(), path = %req.path, "vault request");
        Ok(builder)
    }

    async fn send_raw(&self, req: &VaultRequest) -> Result<RawResponse, VaultError> {
        let token = self.config.current_token();
        let mut response = self.request(req, token.as_ref())?.send().await;
        // A keep-alive connection the server closed (it restarted, or a proxy timed it
        // out) fails before the request reaches it: send once more on a new one, as
        // Vault's own client retries connection errors.
        if response.as_ref().is_err_and(is_stale_connection) {
            tracing::debug!(path = %req.path, "stale connection, sending again");
            response = self.request(req, token.as_ref())?.send().await;
        }
        let response = response.map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?;
        tracing::debug!(status, path = %req.path, "vault response");
        let success = (200..300).contains(&status)
            || (req.path == "sys/health" && HEALTH_STATUSES.contains(&status));
        if !success {
            return Err(self
                .refine(
                    classify(
                        &self.address,
                        req.wire_method(),
                        &req.path,
                        status,
                        &bytes,
                        token.is_some(),
                    ),
                    req,
                )
                .await);
        }
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                VaultError::UnexpectedResponse {
                    method: req.wire_method().into(),
                    path: req.path.clone(),
                    status,
                    // serde_json's syntax errors give a position, never content.
                    reason: format!("the body is not JSON ({e})"),
                }
            })?)
        };
        Ok(RawResponse { status, body })
    }

    /// Makes an error say more than its status can: a sealed answer from an uninitialised
    /// server reads the same ("Vault is sealed"), and seal-status tells them apart; a
    /// refusal (403) gets the capability the token lacks, from `sys/capabilities-self`.
    async fn refine(&self, error: VaultError, req: &VaultRequest) -> VaultError {
        match error {
            VaultError::Sealed {
                addr,
                method,
                path,
                errors,
            } => {
                if path != "sys/seal-status"
                    && let Ok(status) = Box::pin(self.seal_status()).await
                    && !status.initialized
                {
                    return VaultError::Uninitialized {
                        addr,
                        method,
                        path,
                        errors,
                    };
                }
                VaultError::Sealed {
                    addr,
                    method,
                    path,
                    errors,
                }
            }
            VaultError::PermissionDenied {
                method,
                path,
                errors,
                token_sent: true,
                access: Access::NotChecked,
            } if path == "auth/token/lookup-self" => VaultError::PermissionDenied {
                // Every token may look itself up (the `default` policy): this one is dead.
                method,
                path,
                errors,
                token_sent: true,
                access: Access::TokenRejected {
                    from_file: matches!(self.config.token_source, TokenSource::File(_)),
                },
            },
            VaultError::PermissionDenied {
                method,
                path,
                errors,
                token_sent: true,
                access: Access::NotChecked,
            } if path != "sys/capabilities-self" && super::error::room_hold(&errors).is_none() => {
                let access = self.access(req.method, &path).await;
                VaultError::PermissionDenied {
                    method,
                    path,
                    errors,
                    token_sent: true,
                    access,
                }
            }
            other => other,
        }
    }

    /// Why the token was refused `method` on `path`. The two questions asked here are
    /// never refined themselves, so this cannot recurse.
    async fn access(&self, method: &str, path: &str) -> Access {
        match Box::pin(self.capabilities_self(&[path])).await {
            Ok(mut capabilities) => {
                let has = capabilities.remove(path).unwrap_or_default();
                let needed = needed_capability(method, path, &has);
                if has.iter().any(|c| c == "root" || c == needed) {
                    // A policy is not the reason: Sentinel, a control group, a quota…
                    Access::Unknown(format!(
                        "sys/capabilities-self says this token has {} there",
                        has.join(", ")
                    ))
                } else {
                    Access::Lacks { needed, has }
                }
            }
            // The `default` policy allows both questions; a live token that may ask
            // neither is no token at all, one that may look itself up is out of place.
            Err(VaultError::PermissionDenied { .. }) => {
                match Box::pin(self.token_lookup_self()).await {
                    Ok(token) if !token.reaches_namespace(self.config.namespace.as_deref()) => {
                        Access::Unknown(format!(
                            "the token belongs to namespace {}; set VAULT_NAMESPACE (or --namespace) to it",
                            token.namespace_path
                        ))
                    }
                    Ok(_) => Access::Unknown(
                        "this token may not ask sys/capabilities-self: it lacks the default policy"
                            .to_owned(),
                    ),
                    Err(_) => Access::TokenRejected {
                        from_file: matches!(self.config.token_source, TokenSource::File(_)),
                    },
                }
            }
            Err(e) => Access::Unknown(e.to_string()),
        }
    }

    /// Sends any request and keeps the whole envelope.
    pub async fn send(&self, req: &VaultRequest) -> Result<Reply, VaultError> {
        let raw = self.send_raw(req).await?;
        let envelope = match raw.body {
            None => None,
            Some(body) => Some(to_envelope(req, raw.status, body)?),
        };
        Ok(Reply {
            status: raw.status,
            envelope,
        })
    }

    /// `vault read <path>`.
    pub async fn read(&self, path: &str) -> Result<Reply, VaultError> {
        self.send(&VaultRequest::get(path)).await
    }

    /// `vault write <path>` with a JSON object body.
    pub async fn write(&self, path: &str, body: Value) -> Result<Reply, VaultError> {
        self.send(&VaultRequest::put(path, body)).await
    }

    /// `vault list <path>`.
    pub async fn list(&self, path: &str) -> Result<Reply, VaultError> {
        self.send(&VaultRequest::list(path)).await
    }

    /// `vault delete <path>`.
    pub async fn delete(&self, path: &str) -> Result<Reply, VaultError> {
        self.send(&VaultRequest::delete(path)).await
    }

    /// Sends a request whose answer must have a body; returns the status and the body.
    pub(super) async fn send_body(&self, req: &VaultRequest) -> Result<(u16, Value), VaultError> {
        let raw = self.send_raw(req).await?;
        let status = raw.status;
        let body = raw
            .body
            .ok_or_else(|| unexpected(req, status, "an empty body"))?;
        Ok((status, body))
    }

    pub(super) async fn send_typed<T: DeserializeOwned>(
        &self,
        req: &VaultRequest,
    ) -> Result<T, VaultError> {
        let (status, body) = self.send_body(req).await?;
        parse(req, status, body)
    }

    pub(super) async fn send_data<T: DeserializeOwned>(
        &self,
        req: &VaultRequest,
    ) -> Result<(T, Envelope), VaultError> {
        let raw = self.send_raw(req).await?;
        let status = raw.status;
        let body = raw
            .body
            .ok_or_else(|| unexpected(req, status, "an empty body"))?;
        let mut envelope = to_envelope(req, status, body)?;
        let data = envelope
            .data
            .take()
            .ok_or_else(|| unexpected(req, status, "no `data` in the envelope"))?;
        Ok((parse(req, status, data)?, envelope))
    }

    pub(super) async fn send_no_content(&self, req: &VaultRequest) -> Result<Reply, VaultError> {
        self.send(req).await
    }
}

/// Paths Vault serves only in the root namespace, whatever `X-Vault-Namespace` says
/// (OpenBao answers `sys/health` with "operation unavailable in namespaces").
fn is_root_namespace_only(path: &str) -> bool {
    matches!(path, "sys/health" | "sys/seal-status" | "sys/leader")
        || path.starts_with("sys/plugins/catalog")
}

fn token_header(token: &SecretString) -> Result<HeaderValue, VaultError> {
    let mut value =
        HeaderValue::from_str(token.expose_secret()).map_err(|_| VaultError::Config {
            setting: "VAULT_TOKEN".into(),
            reason: "the token contains characters not allowed in an HTTP header".into(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

fn namespace_header(namespace: &str) -> Result<HeaderValue, VaultError> {
    HeaderValue::from_str(namespace).map_err(|_| VaultError::Config {
        setting: "VAULT_NAMESPACE".into(),
        reason: format!("{namespace:?} is not a valid header value"),
    })
}

fn read_pem_bundle(
    setting: &str,
    path: &std::path::Path,
) -> Result<Vec<reqwest::Certificate>, VaultError> {
    let pem = std::fs::read(path).map_err(|e| VaultError::Config {
        setting: setting.into(),
        reason: format!("cannot read {}: {e}", path.display()),
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| VaultError::Config {
        setting: setting.into(),
        reason: format!("{} is not a PEM certificate bundle ({e})", path.display()),
    })?;
    if certs.is_empty() {
        return Err(VaultError::Config {
            setting: setting.into(),
            reason: format!("no certificate in {}", path.display()),
        });
    }
    Ok(certs)
}

pub(super) fn unexpected(req: &VaultRequest, status: u16, reason: &str) -> VaultError {
    VaultError::UnexpectedResponse {
        method: req.wire_method().into(),
        path: req.path.clone(),
        status,
        reason: reason.to_owned(),
    }
}

pub(super) fn to_envelope(
    req: &VaultRequest,
    status: u16,
    body: Value,
) -> Result<Envelope, VaultError> {
    if !body.is_object() {
        return Err(unexpected(req, status, "the body is not a JSON object"));
    }
    parse(req, status, body)
}

/// Types a JSON value. serde's message can quote a value, so it is shortened to the kind of
/// mismatch: the bodies typed this way carry no secrets, but an error should still not dump
/// a body.
pub(super) fn parse<T: DeserializeOwned>(
    req: &VaultRequest,
    status: u16,
    value: Value,
) -> Result<T, VaultError> {
    serde_json::from_value(value).map_err(|e| {
        let message = e.to_string();
        let cut: String = message.chars().take(160).collect();
        unexpected(
            req,
            status,
            &format!("the body has an unexpected shape ({cut})"),
        )
    })
}

/// A pooled keep-alive connection that the server had closed: hyper reports the answer
/// as incomplete before anything came back.
fn is_stale_connection(error: &reqwest::Error) -> bool {
    causes(error).any(|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_proxy_url_is_told_without_its_password() {
        let settings = ProxySettings {
            https: Some("http://ada:s3cret@[bad".into()),
            ..ProxySettings::default()
        };
        let error = proxies(&settings).unwrap_err().to_string();
        assert!(!error.contains("s3cret"), "{error}");
        assert!(error.contains("http://ada:***@[bad"), "{error}");
        assert_eq!(without_password("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(without_password("user@proxy:3128"), "user@proxy:3128");
    }

    #[tokio::test]
    async fn in_a_rooms_seat_a_vault_that_does_not_answer_is_the_rooms_to_explain() {
        // A port nobody listens on: the room has gone.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        for (in_room, said, not_said) in [
            (true, "The room does not answer", "VAULT_ADDR"),
            (false, "VAULT_ADDR", "room"),
        ] {
            let mut config = VaultConfig::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
            config.in_room = in_room;
            let error = VaultClient::new(config)
                .unwrap()
                .read("sys/mounts")
                .await
                .unwrap_err();
            assert!(matches!(error, VaultError::Unreachable { .. }), "{error:?}");
            let hint = error.hint();
            assert!(
                hint.contains(said) && !hint.contains(not_said),
                "in_room {in_room}: {hint}"
            );
        }
    }
}
