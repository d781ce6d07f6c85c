//! What each step is about to send, as the `curl` command a learner could paste — shown
//! before the step runs, so nothing the app does is hidden.

use super::state::App;
use crate::lab::StepKind;
use crate::vault::request::{self, VaultRequest, curl_line};
use crate::vault::types::RoleSpec;

/// The Vault request a step makes (the test step calls AWS, not Vault).
pub fn planned_request(app: &App, kind: StepKind) -> Option<VaultRequest> {
    let mount = &app.lab.mount;
    Some(match kind {
        StepKind::EnableEngine => request::enable_aws(mount),
        StepKind::RootKeys => request::write_aws_root_config(
            mount,
            app.root_keys.access_key_id.trim(),
            app.root_keys.secret_access_key.secret(),
            Some(app.root_keys.region.trim()),
            app.connection.engine_aws_endpoint.as_deref(),
            app.connection.engine_aws_endpoint.as_deref(),
        ),
        StepKind::RolePolicy => {
            request::write_aws_role(mount, &app.lab.role, &RoleSpec::iam_user(app.policy.text()))
        }
        StepKind::Generate => request::generate_aws_creds(mount, &app.lab.role),
        StepKind::TestKeys => return None,
        StepKind::Revoke => request::lease_revoke(
            app.creds
                .as_ref()
                .map(|c| c.issued.lease_id.as_str())
                .unwrap_or("<lease_id>"),
            false,
        ),
    })
}

/// The planned request as `curl`, the token as `$VAULT_TOKEN` and secrets masked.
pub fn planned_curl(app: &App, kind: StepKind) -> Option<String> {
    let request = planned_request(app, kind)?;
    Some(curl_line(
        &app.connection.vault_addr,
        app.connection.namespace.as_deref(),
        true,
        &request.describe(),
    ))
}
