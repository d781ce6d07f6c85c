//! The Vault requests the steps make, built once from the app's state: the pane shows
//! each as the `curl` a learner could paste before it runs, and the very same value is
//! sent. Also what tells a step done already, and the doctor's plan.

use super::state::App;
use crate::doctor::DoctorPlan;
use crate::lab::StepKind;
use crate::vault::request::{self, VaultRequest, curl_line};
use crate::vault::types::{Reply, RoleSpec};

/// The request a step sends (the test step uses the engine, not Vault).
pub fn step_request(app: &App, step: usize) -> Option<VaultRequest> {
    let mount = &app.lab.mount;
    Some(match app.lab.steps.get(step)?.kind {
        StepKind::EnableEngine => request::enable_aws(mount),
        StepKind::RootKeys => {
            let form = &app.root_keys;
            let endpoint = app.connection.engine_aws_endpoint.as_deref();
            request::write_aws_root_config(
                mount,
                form.access_key_id.trim(),
                form.secret_access_key.secret(),
                Some(form.region.trim()),
                endpoint,
                endpoint,
            )
        }
        StepKind::RolePolicy => {
            request::write_aws_role(mount, &app.lab.role, &RoleSpec::iam_user(app.policy.text()))
        }
        StepKind::Generate => request::generate_aws_creds(mount, &app.lab.role),
        StepKind::TestKeys => return None,
        StepKind::Revoke => request::lease_revoke(
            app.creds
                .as_ref()
                .map(|c| c.lease.id.as_str())
                .unwrap_or("<lease_id>"),
            false,
        ),
    })
}

/// After a step's write, what shows what Vault keeps.
pub fn read_back(app: &App, step: usize) -> Option<VaultRequest> {
    match app.lab.steps.get(step)?.kind {
        StepKind::RootKeys => Some(request::read_aws_root_config(&app.lab.mount)),
        _ => None,
    }
}

/// The short-leases demo's request: `config/lease` 2m, max 5m.
pub fn short_leases(app: &App) -> VaultRequest {
    request::write_aws_lease_config(
        &app.lab.mount,
        super::steps::issue::SHORT_LEASE,
        super::steps::issue::SHORT_LEASE_MAX,
    )
}

/// What a read must show for a step to be done: a value at `field` (a path of keys into
/// the answer's `data`), equal to `equals` when given; with no field, that the read
/// found something at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneTest {
    pub field: Vec<String>,
    pub equals: Option<String>,
}

impl DoneTest {
    pub fn holds(&self, reply: &Reply) -> bool {
        let mut value = match reply.data() {
            Some(data) => data,
            None => return self.field.is_empty(),
        };
        for key in &self.field {
            match value.get(key) {
                Some(inner) => value = inner,
                None => return false,
            }
        }
        match &self.equals {
            Some(expected) => value.as_str() == Some(expected.as_str()),
            None => !value.is_null(),
        }
    }
}

/// The read that tells whether a step is done already, and what it must show.
pub fn done_check(app: &App, step: usize) -> Option<(VaultRequest, DoneTest)> {
    let mount = app.lab.mount.trim_matches('/');
    let exists = DoneTest {
        field: Vec::new(),
        equals: None,
    };
    Some(match app.lab.steps.get(step)?.kind {
        StepKind::EnableEngine => (
            request::list_mounts(),
            DoneTest {
                field: vec![format!("{mount}/"), "type".to_owned()],
                equals: Some("aws".to_owned()),
            },
        ),
        StepKind::RootKeys => (request::read_aws_root_config(mount), exists),
        StepKind::RolePolicy => (request::read_aws_role(mount, &app.lab.role), exists),
        _ => return None,
    })
}

/// A request as `curl`, the token as `$VAULT_TOKEN` and secrets masked.
pub fn curl(app: &App, request: &VaultRequest) -> String {
    curl_line(
        &app.connection.vault_addr,
        app.connection.namespace.as_deref(),
        true,
        &request.describe(),
    )
}

/// What a step is about to send, as `curl`.
pub fn planned_curl(app: &App, step: usize) -> Option<String> {
    step_request(app, step).map(|request| curl(app, &request))
}

/// What `vaultlab doctor` checks for this lab: every path it uses, with the capabilities
/// it needs there (`create|update` is either: a write creates or updates), and the root
/// keys with where they came from.
pub fn doctor_plan(app: &App) -> DoctorPlan {
    let mount = app.lab.mount.trim_matches('/');
    let role = &app.lab.role;
    let needs: Vec<(String, Vec<&'static str>)> = vec![
        ("sys/mounts".to_owned(), vec!["read"]),
        (format!("sys/mounts/{mount}"), vec!["update"]),
        (
            format!("{mount}/config/root"),
            vec!["create|update", "read"],
        ),
        (
            format!("{mount}/roles/{role}"),
            vec!["create|update", "read"],
        ),
        (format!("{mount}/creds/{role}"), vec!["read"]),
        ("sys/leases/lookup".to_owned(), vec!["update"]),
        ("sys/leases/renew".to_owned(), vec!["update"]),
        ("sys/leases/revoke".to_owned(), vec!["update"]),
    ];
    let form = &app.root_keys;
    DoctorPlan {
        needs,
        mount: mount.to_owned(),
        values: form.is_complete().then(|| {
            (
                form.values(),
                form.source.clone().unwrap_or_else(|| "the form".to_owned()),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn reply(data: Value) -> Reply {
        Reply {
            status: 200,
            envelope: Some(serde_json::from_value(json!({ "data": data })).unwrap()),
        }
    }

    #[test]
    fn a_done_test_follows_its_field_and_compares_its_value() {
        let mounted = DoneTest {
            field: vec!["aws/".into(), "type".into()],
            equals: Some("aws".into()),
        };
        assert!(mounted.holds(&reply(json!({"aws/": {"type": "aws"}}))));
        assert!(!mounted.holds(&reply(json!({"aws/": {"type": "kv"}}))));
        assert!(!mounted.holds(&reply(json!({"sys/": {"type": "system"}}))));
        let exists = DoneTest {
            field: Vec::new(),
            equals: None,
        };
        assert!(exists.holds(&reply(json!({"access_key": "AKIA"}))));
    }
}
