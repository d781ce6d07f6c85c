//! The HTTP client under the engine's IAM calls: the SDK's own (hyper, rustls), with its
//! pool and its calls bounded. Unbounded, a burst of 2,000 credential requests had the
//! engine open a connection per call and keep them all: thousands of idle connections to
//! the sandbox itself, "Too many open files" under `ulimit -n 1024`, memory never given
//! back. Now at most [`MAX_CALLS_IN_FLIGHT`] calls are under way at once (the others wait
//! their turn), so the pool never holds many more connections than that, and a connection
//! idle for [`IDLE_CONNECTION`] is closed.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_iam::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use http_body_util::BodyExt;
use tokio::sync::Semaphore;

/// IAM calls the engine has under way at once, over all its clients. Each issue or
/// revocation makes its calls one after another, so this many proceed side by side.
pub const MAX_CALLS_IN_FLIGHT: usize = 16;

/// How long a connection to IAM stays open unused.
pub const IDLE_CONNECTION: Duration = Duration::from_secs(5);

/// The engine's calls, counted: one per [`crate::vault::iam_client::IamClients`].
#[derive(Debug, Clone)]
pub struct CallBudget(Arc<Semaphore>);

impl Default for CallBudget {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(MAX_CALLS_IN_FLIGHT)))
    }
}

impl CallBudget {
    /// An HTTP client for one IAM client, sharing this budget.
    pub fn http_client(&self) -> SharedHttpClient {
        let inner = aws_smithy_http_client::Builder::new()
            .pool_idle_timeout(IDLE_CONNECTION)
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https();
        SharedHttpClient::new(Bounded {
            inner,
            budget: self.clone(),
        })
    }

    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

#[derive(Debug)]
struct Bounded {
    inner: SharedHttpClient,
    budget: CallBudget,
}

impl HttpClient for Bounded {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
            budget: self.budget.clone(),
        })
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_base_client_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: SharedHttpConnector,
    budget: CallBudget,
}

impl HttpConnector for BoundedConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        // Read here, in the engine's task: what the engine is doing, told to the endpoint.
        if let Some(call) = crate::engine_call::current() {
            request
                .headers_mut()
                .insert(crate::engine_call::HEADER, call.header_value());
        }
        let inner = self.inner.clone();
        let budget = self.budget.0.clone();
        HttpConnectorFuture::new(async move {
            let _turn = budget
                .acquire_owned()
                .await
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let mut response = inner.call(request).await?;
            // The whole answer (a few kilobytes of XML) is read before the turn ends, so the
            // connection is back in the pool by then and the count stays a count of them.
            let body = response
                .take_body()
                .collect()
                .await
                .map_err(ConnectorError::io)?
                .to_bytes();
            *response.body_mut() = SdkBody::from(body);
            Ok(response)
        })
    }
}
