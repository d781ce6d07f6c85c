//! Building SDK clients for one endpoint and one pair of static keys.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use secrecy::{ExposeSecret, SecretString};

/// Where AWS requests go: a custom endpoint (the sandbox, moto, LocalStack) or, when
/// `None`, AWS's own endpoints for the region.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsTarget {
    pub endpoint_url: Option<String>,
    pub region: String,
    pub trust: Trust,
}

/// Which servers' certificates the calls trust.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Trust {
    /// The platform's roots, as the SDK's own client does.
    #[default]
    Roots,
    /// `AWS_CA_BUNDLE`: a PEM file whose certificates are the only ones trusted, as the
    /// aws CLI reads it (names checked as usual).
    Bundle(PathBuf),
    /// A rustls configuration made elsewhere, whose verifier decides: a room's pin
    /// (`vaultlab join --pin`), which trusts the room's certificate by its hash alone; or,
    /// for a seat without a pin, the platform's roots. With the proxies the seat's Vault
    /// calls use, and no others (not the system's, not `ALL_PROXY`).
    Configured(crate::https::ConfiguredHttps),
}

/// Keys given to vaultlab, not found by the SDK's credential chain: the lab is explicit
/// about which keys sign each call.
#[derive(Debug, Clone)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl StaticKeys {
    fn credentials(&self) -> Credentials {
        Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose_secret().to_owned(),
            None,
            None,
            "vaultlab",
        )
    }
}

/// No SDK retries: the lab retries itself, so it can say why it waits.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// The region a service's requests are signed for. IAM is global: AWS's SDKs sign its
/// calls for us-east-1 whatever the client's region, by way of IAM's one endpoint. With an
/// endpoint of our own (the sandbox, moto) the SDK signs for the configured region
/// instead, so IAM's is given here; a sandbox refuses an IAM scope in eu-west-1, as AWS does.
fn signing_region(service: &str, target: &AwsTarget) -> String {
    if service == "iam" && target.endpoint_url.is_some() {
        "us-east-1".to_owned()
    } else {
        target.region.clone()
    }
}

macro_rules! client {
    ($name:ident, $sdk:ident) => {
        pub fn $name(target: &AwsTarget, keys: &StaticKeys) -> $sdk::Client {
            let mut config = $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(signing_region(stringify!($name), target)))
                .credentials_provider(keys.credentials())
                .http_client(match &target.trust {
                    Trust::Roots => crate::https::https_client(),
                    Trust::Bundle(bundle) => crate::https::https_client_trusting(bundle),
                    Trust::Configured(https) => https.http_client(),
                })
                .retry_config($sdk::config::retry::RetryConfig::disabled())
                .timeout_config(
                    $sdk::config::timeout::TimeoutConfig::builder()
                        .operation_timeout(CALL_TIMEOUT)
                        .build(),
                );
            if let Some(url) = &target.endpoint_url {
                config = config.endpoint_url(url);
            }
            $sdk::Client::from_conf(config.build())
        }
    };
}

client!(ec2, aws_sdk_ec2);
client!(iam, aws_sdk_iam);
client!(sts, aws_sdk_sts);
