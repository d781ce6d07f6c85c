//! The HTTP client under vaultlab's SDK clients, given to each client explicitly rather
//! than through the SDK crates' `default-https-client` feature: with that feature the SDK
//! crates (aws-sdk-ec2 alone compiles for minutes) depend on the TLS stack and wait for it
//! in a cold build; without it they compile beside it.
//!
//! A room served with --tls is trusted by its pin, not by a bundle: aws-smithy-http-client
//! 1.x takes only a trust store (its rustls configuration, where a verifier would go, is
//! its own), so that client is reqwest, with the pinned rustls configuration the lab's
//! Vault calls use, behind the SDK's `HttpClient`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Headers, HttpError, StatusCode};
use aws_smithy_types::body::SdkBody;

/// What the SDK's default client is: hyper 1 with rustls (aws-lc), honouring
/// `HTTPS_PROXY`/`NO_PROXY` as the SDK does, and the connect and read timeouts each client
/// is configured with.
pub fn https_client() -> SharedHttpClient {
    client_with(None)
}

/// The same, trusting the certificates of `bundle` alone (`AWS_CA_BUNDLE`, as the aws CLI
/// reads it: a room served with --tls hands its own certificate this way). A bundle that
/// cannot be read trusts nothing, so every call fails in TLS's words, and the log says why.
pub fn https_client_trusting(bundle: &Path) -> SharedHttpClient {
    let pem = std::fs::read(bundle).unwrap_or_else(|e| {
        tracing::warn!("cannot read AWS_CA_BUNDLE {}: {e}", bundle.display());
        Vec::new()
    });
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(pem))
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!("AWS_CA_BUNDLE {}: {e}", bundle.display());
            TlsContext::builder()
                .with_trust_store(TrustStore::empty())
                .build()
                .expect("an empty trust store")
        });
    client_with(Some(context))
}

fn client_with(context: Option<TlsContext>) -> SharedHttpClient {
    Builder::new().build_with_connector_fn(move |settings, runtime_components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .proxy_config(ProxyConfig::from_env());
        if let Some(context) = &context {
            connector = connector.tls_context(context.clone());
        }
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.build()
    })
}

/// The SDK's calls through TLS as `tls` has it: a room's pinned configuration, whose
/// verifier accepts the room's certificate by its hash, whatever names it carries (a
/// room restarted at an address its kept certificate does not name). Through `proxies`
/// alone, the ones the Vault calls beside them use (loopback never): not reqwest's own
/// choice (the system's settings, `ALL_PROXY`, loopback included), which would send the
/// AWS calls one way and the Vault calls another.
///
/// Made once for a seat and cloned into each SDK client (every AWS call makes its own):
/// the clones share one reqwest client per pair of timeouts, and so its connections and
/// TLS sessions.
#[derive(Debug, Clone)]
pub struct ConfiguredHttps(Arc<ConfiguredTls>);

impl ConfiguredHttps {
    pub fn new(tls: Arc<rustls::ClientConfig>, proxies: Vec<reqwest::Proxy>) -> Self {
        Self::made(Some(tls), proxies)
    }

    /// The platform's roots (reqwest's own verifier), through `proxies` alone: a seat of
    /// a room served without a pin, whose AWS calls go the way its Vault calls do.
    pub fn with_platform_roots(proxies: Vec<reqwest::Proxy>) -> Self {
        Self::made(None, proxies)
    }

    fn made(tls: Option<Arc<rustls::ClientConfig>>, proxies: Vec<reqwest::Proxy>) -> Self {
        Self(Arc::new(ConfiguredTls {
            tls,
            proxies,
            connectors: Mutex::default(),
        }))
    }

    /// For one SDK client: the shared one behind it.
    pub(crate) fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }
}

impl PartialEq for ConfiguredHttps {
    /// The same when they are the very same one.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl HttpClient for ConfiguredHttps {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }
}

/// A connector's connect and read timeouts.
type Timeouts = (Option<Duration>, Option<Duration>);

/// One reqwest client per pair of timeouts the SDK asks for (the same for every client
/// of the lab), each keeping its connections.
#[derive(Debug)]
struct ConfiguredTls {
    /// `None`: reqwest's own (the platform's roots).
    tls: Option<Arc<rustls::ClientConfig>>,
    proxies: Vec<reqwest::Proxy>,
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl HttpClient for ConfiguredTls {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        connectors
            .entry(key)
            .or_insert_with(|| {
                // Redirects reach the SDK as they came, as with its own client: reqwest
                // would follow a 301/302/303 as a GET, without the signed body.
                let mut builder = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy();
                if let Some(tls) = &self.tls {
                    builder = builder.tls_backend_preconfigured((**tls).clone());
                }
                for proxy in &self.proxies {
                    builder = builder.proxy(proxy.clone());
                }
                if let Some(timeout) = key.0 {
                    builder = builder.connect_timeout(timeout);
                }
                if let Some(timeout) = key.1 {
                    builder = builder.read_timeout(timeout);
                }
                let client = builder.build().map_err(|e| e.to_string());
                SharedHttpConnector::new(Reqwest(client))
            })
            .clone()
    }
}

/// The client, or why it could not be made (said by each call).
#[derive(Debug)]
struct Reqwest(Result<reqwest::Client, String>);

impl HttpConnector for Reqwest {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = match &self.0 {
            Ok(client) => client.clone(),
            Err(why) => {
                let why = format!("cannot make an HTTPS client: {why}");
                return HttpConnectorFuture::ready(Err(ConnectorError::user(why.into())));
            }
        };
        let request = request
            .try_into_http1x()
            .map_err(|e| ConnectorError::user(e.into()))
            .and_then(|request| {
                reqwest::Request::try_from(request.map(reqwest::Body::wrap))
                    .map_err(|e| ConnectorError::user(e.into()))
            });
        HttpConnectorFuture::new(async move {
            let response = client.execute(request?).await.map_err(|e| {
                if e.is_timeout() {
                    ConnectorError::timeout(e.into())
                } else if e.is_connect() || e.is_request() {
                    ConnectorError::io(e.into())
                } else {
                    ConnectorError::other(e.into(), None)
                }
            })?;
            let unreadable = |e: HttpError| ConnectorError::other(e.into(), None);
            let status = StatusCode::try_from(response.status().as_u16()).map_err(unreadable)?;
            let headers = Headers::try_from(response.headers().clone()).map_err(unreadable)?;
            let body = SdkBody::from_body_1_x(reqwest::Body::from(response));
            let mut answer = HttpResponse::new(status, body);
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}
