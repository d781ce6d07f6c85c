//! `config/root` and `config/lease`.

use serde_json::json;

use super::super::VaultServer;
use super::super::duration::{format_go_duration, parse_go_duration};
use super::super::http::{Reply, VaultRequest};
use super::super::state::{LeaseConfig, RootConfig};
use super::super::username::{DEFAULT_USERNAME_TEMPLATE, is_default_template};
use super::ignored_params_warning;
use vaultlab_wire::secret::PersistedSecret;

const ROOT_FIELDS: &[&str] = &[
    "access_key",
    "secret_key",
    "region",
    "iam_endpoint",
    "sts_endpoint",
    "max_retries",
    "username_template",
];

impl VaultServer {
    pub(super) fn config_root_read(&self, mount: &str) -> Reply {
        let root = self.engine(mount, |aws| aws.root.clone()).flatten();
        match root {
            None => Reply::not_found_empty(),
            Some(root) => Reply::data(json!({
                "access_key": root.access_key,
                "region": root.region,
                "iam_endpoint": root.iam_endpoint,
                "sts_endpoint": root.sts_endpoint,
                "max_retries": root.max_retries,
                "username_template": root.username_template,
            })),
        }
    }

    pub(super) fn config_root_write(&self, mount: &str, req: &VaultRequest) -> Reply {
        let text = |k: &str| req.str_field(k).unwrap_or_default();
        let max_retries = match req.data.get("max_retries") {
            None | Some(serde_json::Value::Null) => -1,
            Some(v) => match v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(n) => n,
                None => {
                    let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    return Reply::bad_request(super::super::http::field_error(
                        v,
                        "max_retries",
                        &format!(
                            "cannot parse '' as int: strconv.ParseInt: parsing {shown:?}: invalid syntax"
                        ),
                    ));
                }
            },
        };
        let template = text("username_template");
        if !is_default_template(&template) {
            return Reply::not_implemented(
                "vaultlab sandbox does not implement custom username_template values; \
                 leave username_template unset for Vault's default (custom templates need a real Vault server)",
            );
        }
        let root = RootConfig {
            access_key: text("access_key"),
            secret_key: PersistedSecret::new(text("secret_key")),
            region: text("region"),
            iam_endpoint: text("iam_endpoint"),
            sts_endpoint: text("sts_endpoint"),
            max_retries,
            username_template: DEFAULT_USERNAME_TEMPLATE.to_owned(),
        };
        if self.engine(mount, |aws| aws.root = Some(root)).is_none() {
            return Reply::no_handler(&format!("{mount}config/root"));
        }
        // As Vault drops its IAM client when config/root changes: the old keys are not
        // kept in memory any longer than they are configured.
        self.iam_clients.clear();
        self.changed();
        match ignored_params_warning(req, ROOT_FIELDS) {
            Some(w) => Reply::warnings(vec![w]),
            None => Reply::no_content(),
        }
    }

    pub(super) fn config_lease_read(&self, mount: &str) -> Reply {
        match self.engine(mount, |aws| aws.lease).flatten() {
            None => Reply::not_found_empty(),
            Some(lease) => Reply::data(json!({
                "lease": format_go_duration(lease.lease),
                "lease_max": format_go_duration(lease.lease_max),
            })),
        }
    }

    pub(super) fn config_lease_write(&self, mount: &str, req: &VaultRequest) -> Reply {
        let lease_raw = req.str_field("lease").unwrap_or_default();
        let max_raw = req.str_field("lease_max").unwrap_or_default();
        if lease_raw.is_empty() {
            return Reply::bad_request("'lease' is a required parameter");
        }
        if max_raw.is_empty() {
            return Reply::bad_request("'lease_max' is a required parameter");
        }
        let lease = match parse_go_duration(&lease_raw) {
            Ok(v) => v,
            Err(e) => return Reply::bad_request(format!("Invalid lease: {e}")),
        };
        let lease_max = match parse_go_duration(&max_raw) {
            Ok(v) => v,
            Err(e) => return Reply::bad_request(format!("Invalid lease_max: {e}")),
        };
        let config = LeaseConfig { lease, lease_max };
        if self.engine(mount, |aws| aws.lease = Some(config)).is_none() {
            return Reply::no_handler(&format!("{mount}config/lease"));
        }
        self.changed();
        match ignored_params_warning(req, &["lease", "lease_max"]) {
            Some(w) => Reply::warnings(vec![w]),
            None => Reply::no_content(),
        }
    }
}
