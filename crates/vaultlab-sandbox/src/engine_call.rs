//! Why Vault's AWS engine makes an IAM call, told to the sandbox's own AWS endpoint so the
//! event stream can say it: the engine runs its calls inside [`within`], its IAM clients
//! add the [`HEADER`] (see `vault::iam_client`), and the endpoint reads it on the engine's
//! listener only (on the public one anybody could send it).
//!
//! The header is not signed and says nothing secret: a purpose, a namespace path and a
//! lease id.

use std::future::Future;

use crate::events::Purpose;

/// The header the engine's calls carry.
pub const HEADER: &str = "x-vaultlab-engine";

/// What the engine is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineCall {
    pub purpose: Purpose,
    /// The namespace whose engine it is (`""`: the root).
    pub namespace: String,
    /// The lease being revoked, if any.
    pub lease_id: Option<String>,
}

tokio::task_local! {
    static CURRENT: EngineCall;
}

/// Runs `work` (the engine's IAM calls) as `call`.
pub async fn within<F: Future>(call: EngineCall, work: F) -> F::Output {
    CURRENT.scope(call, work).await
}

/// The call under way in this task, if any.
pub fn current() -> Option<EngineCall> {
    CURRENT.try_with(Clone::clone).ok()
}

impl EngineCall {
    pub fn header_value(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("purpose", self.purpose.as_str());
        out.append_pair("namespace", &self.namespace);
        if let Some(lease) = &self.lease_id {
            out.append_pair("lease", lease);
        }
        out.finish()
    }

    pub fn parse(value: &str) -> Option<Self> {
        let mut purpose = None;
        let mut namespace = String::new();
        let mut lease_id = None;
        for (key, value) in form_urlencoded::parse(value.as_bytes()) {
            match key.as_ref() {
                "purpose" => purpose = Purpose::parse(&value),
                "namespace" => namespace = value.into_owned(),
                "lease" => lease_id = Some(value.into_owned()),
                _ => {}
            }
        }
        Some(Self {
            purpose: purpose?,
            namespace,
            lease_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_round_trips_through_its_header_and_is_seen_inside_its_scope() {
        let call = EngineCall {
            purpose: Purpose::Expiry,
            namespace: "room/ada b/".into(),
            lease_id: Some("aws/creds/r/x.AbC123".into()),
        };
        assert_eq!(EngineCall::parse(&call.header_value()), Some(call.clone()));
        assert_eq!(EngineCall::parse("purpose=nope"), None);
        assert_eq!(current(), None);
        let seen = within(call.clone(), async { current() }).await;
        assert_eq!(seen, Some(call));
    }
}
