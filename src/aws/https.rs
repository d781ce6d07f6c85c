//! The HTTP client under vaultlab's SDK clients, given to each client explicitly rather
//! than through the SDK crates' `default-https-client` feature: with that feature the SDK
//! crates (aws-sdk-ec2 alone compiles for minutes) depend on the TLS stack and wait for it
//! in a cold build; without it they compile beside it.

use aws_sdk_ec2::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};

/// What the SDK's default client is: hyper 1 with rustls (aws-lc), honouring
/// `HTTPS_PROXY`/`NO_PROXY` as the SDK does, and the connect and read timeouts each client
/// is configured with.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, runtime_components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .proxy_config(ProxyConfig::from_env());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.build()
    })
}
