//! The HTTP client under vaultlab's SDK clients, given to each client explicitly rather
//! than through the SDK crates' `default-https-client` feature: with that feature the SDK
//! crates (aws-sdk-ec2 alone compiles for minutes) depend on the TLS stack and wait for it
//! in a cold build; without it they compile beside it.

use std::path::Path;

use aws_sdk_ec2::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};

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
