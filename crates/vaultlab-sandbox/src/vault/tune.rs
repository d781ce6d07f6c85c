//! A mount's lease TTLs: `config` given when a secrets engine is enabled, and
//! `sys/mounts/<path>/tune` read and write, as Vault's `handleMount`,
//! `handleTuneReadCommon` and `handleTuneWriteCommon` do them. The TTLs stored here are
//! what leases issued and renewed at the mount are resolved against (see
//! `leases::MountTtls`).

use serde_json::{Map, Value, json};

use super::VaultServer;
use super::duration::parse_duration_second;
use super::http::{Operation, Reply, VaultRequest};
use super::leases::{MountTtls, SYSTEM_MAX_TTL};
use super::state::Mount;
use super::sys::sanitize_mount_path;

/// Mounts Vault refuses to tune.
const UNTUNABLE: &[&str] = &["cubbyhole/", "sys/", "audit/", "identity/"];

/// Tune parameters Vault has that the sandbox does not store.
const TUNE_PARAMS_NOT_STORED: &[&str] = &[
    "audit_non_hmac_request_keys",
    "audit_non_hmac_response_keys",
    "listing_visibility",
    "passthrough_request_headers",
    "allowed_response_headers",
    "allowed_managed_keys",
    "token_type",
    "plugin_version",
    "user_lockout_config",
    "delegated_auth_accessors",
    "identity_token_key",
];

/// A TTL parameter as Vault reads it: `""` (absent), `"system"` or a duration; `Ok(None)`
/// means "not given".
fn ttl_param(value: Option<&Value>) -> Result<Option<i64>, String> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match text.as_str() {
        "" => Ok(None),
        "system" => Ok(Some(0)),
        _ => parse_duration_second(&Value::String(text)).map(Some),
    }
}

/// The `config` object of `POST sys/mounts/<path>`: the mount's default and max lease TTL
/// in seconds (0 = system), or Vault's 400.
pub fn enable_config_ttls(req: &VaultRequest) -> Result<(i64, i64), Reply> {
    let config = match req.data.get("config") {
        None | Some(Value::Null) => return Ok((0, 0)),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Reply::bad_request(
                "unable to convert given mount config information",
            ));
        }
    };
    // Vault decodes `config` into string fields; a number is taken as seconds.
    let text = |key: &str| -> Result<String, Reply> {
        match config.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(_) => Err(Reply::bad_request(
                "unable to convert given mount config information",
            )),
        }
    };
    let default_raw = text("default_lease_ttl")?;
    let max_raw = text("max_lease_ttl")?;
    let parse = |raw: &str, what: &str| -> Result<i64, Reply> {
        match raw {
            "" | "system" => Ok(0),
            _ => parse_duration_second(&Value::String(raw.to_owned())).map_err(|e| {
                Reply::bad_request(format!("unable to parse {what} TTL of {raw}: {e}"))
            }),
        }
    };
    let default = parse(&default_raw, "default")?;
    let max = parse(&max_raw, "max")?;
    if max != 0 && default > max {
        return Err(Reply::bad_request(
            "given default lease TTL greater than given max lease TTL",
        ));
    }
    if default > SYSTEM_MAX_TTL && max == 0 {
        return Err(Reply::bad_request(format!(
            "given default lease TTL greater than system max lease TTL of {SYSTEM_MAX_TTL}"
        )));
    }
    Ok((default, max))
}

/// The mount a path falls under (longest prefix), as Vault's `MatchingMountEntry`.
fn matching_mount<'a>(mounts: impl Iterator<Item = &'a Mount>, path: &str) -> Option<&'a Mount> {
    mounts
        .filter(|m| path.starts_with(&m.path))
        .max_by_key(|m| m.path.len())
}

impl VaultServer {
    pub(super) fn tune_route(&self, req: &VaultRequest, raw_path: &str) -> Reply {
        let path = sanitize_mount_path(raw_path);
        match req.operation {
            Operation::Read => self.tune_read(&path),
            Operation::Update => self.tune_write(&path, req),
            _ => Reply::unsupported_operation(),
        }
    }

    fn tune_read(&self, path: &str) -> Reply {
        let state = self.lock();
        let Some(mount) = matching_mount(state.mounts.values(), path) else {
            return Reply::bad_request(format!("cannot fetch sysview for path {path:?}"));
        };
        let ttls = MountTtls::of(mount);
        let mut data = json!({
            "description": mount.description,
            "default_lease_ttl": ttls.default,
            "max_lease_ttl": ttls.max,
            "force_no_cache": false,
        });
        match mount.mount_type.as_str() {
            "system" => data["passthrough_request_headers"] = json!(["Accept"]),
            "identity" => data["passthrough_request_headers"] = json!(["Authorization"]),
            _ => {}
        }
        Reply::data_with_top_copy(data)
    }

    fn tune_write(&self, path: &str, req: &VaultRequest) -> Reply {
        if UNTUNABLE.iter().any(|p| path.starts_with(p)) {
            return Reply::bad_request(format!("cannot tune {path:?}"));
        }
        let new_default = match ttl_param(req.data.get("default_lease_ttl")) {
            Ok(v) => v,
            Err(e) => return Reply::bad_request(e),
        };
        let new_max = match ttl_param(req.data.get("max_lease_ttl")) {
            Ok(v) => v,
            Err(e) => return Reply::bad_request(e),
        };
        let description = req.data.get("description").map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        });
        {
            let mut state = self.lock();
            let Some(key) = matching_mount(state.mounts.values(), path).map(|m| m.path.clone())
            else {
                return Reply::bad_request(format!(
                    "tune of path {path:?} failed: no mount entry found"
                ));
            };
            let mount = state.mounts.get_mut(&key).expect("mount just found");
            let default = new_default.unwrap_or(mount.default_lease_ttl);
            let max = new_max.unwrap_or(mount.max_lease_ttl);
            if default != 0 && max != 0 && max < default {
                return Reply::bad_request(format!(
                    "backend max lease TTL of {max} would be less than backend default lease TTL of {default}"
                ));
            }
            mount.default_lease_ttl = default;
            mount.max_lease_ttl = max;
            if let Some(description) = description {
                mount.description = description;
            }
        }
        self.changed();
        let warnings = tune_warnings(&req.data);
        if warnings.is_empty() {
            Reply::no_content()
        } else {
            Reply::warnings(warnings)
        }
    }
}

/// What a tune request asked for that the sandbox does not keep, in its own words, and
/// Vault's warning for parameters Vault does not know.
fn tune_warnings(data: &Map<String, Value>) -> Vec<String> {
    let set = |v: &Value| match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    };
    let mut not_stored: Vec<&str> = data
        .iter()
        .filter(|(k, v)| {
            (TUNE_PARAMS_NOT_STORED.contains(&k.as_str())
                || matches!(k.as_str(), "options" | "force_no_cache"))
                && set(v)
        })
        .map(|(k, _)| k.as_str())
        .collect();
    not_stored.sort_unstable();
    // Parameters Vault does not know get no warning here: Vault's tune answers 204, which
    // carries none.
    let mut warnings = Vec::new();
    if !not_stored.is_empty() {
        warnings.push(format!(
            "vaultlab sandbox does not implement tuning {}; only default_lease_ttl, max_lease_ttl and description are kept",
            not_stored.join(", ")
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(data: Value) -> VaultRequest {
        VaultRequest {
            data: data.as_object().unwrap().clone(),
            ..VaultRequest::new("sys/mounts/aws", Operation::Update)
        }
    }

    #[test]
    fn enable_config_takes_go_durations_as_the_cli_sends_them() {
        let r = req(
            json!({"type": "aws", "config": {"options": null, "default_lease_ttl": "1h0m0s", "max_lease_ttl": "2h0m0s", "force_no_cache": false}}),
        );
        assert_eq!(enable_config_ttls(&r).unwrap(), (3600, 7200));
        let r = req(
            json!({"type": "aws", "config": {"default_lease_ttl": "0s", "max_lease_ttl": "0s"}}),
        );
        assert_eq!(enable_config_ttls(&r).unwrap(), (0, 0));
    }

    #[test]
    fn enable_config_errors_are_vaults() {
        let text = |v: Value| {
            enable_config_ttls(&req(v)).unwrap_err().body.unwrap()["errors"][0]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            text(json!({"config": {"default_lease_ttl": "2h", "max_lease_ttl": "1h"}})),
            "given default lease TTL greater than given max lease TTL"
        );
        assert_eq!(
            text(json!({"config": {"default_lease_ttl": "800h"}})),
            "given default lease TTL greater than system max lease TTL of 2764800"
        );
        assert_eq!(
            text(json!({"config": {"default_lease_ttl": "soon"}})),
            "unable to parse default TTL of soon: time: invalid duration \"soon\""
        );
        assert_eq!(
            text(json!({"config": {"max_lease_ttl": ["1h"]}})),
            "unable to convert given mount config information"
        );
    }

    #[test]
    fn tune_warns_about_what_it_does_not_keep() {
        let data = json!({"options": null, "force_no_cache": false, "default_lease_ttl": "1h"});
        assert!(tune_warnings(data.as_object().unwrap()).is_empty());
        let data = json!({"listing_visibility": "unauth", "bogus": 1});
        assert_eq!(
            tune_warnings(data.as_object().unwrap()),
            [
                "vaultlab sandbox does not implement tuning listing_visibility; only default_lease_ttl, max_lease_ttl and description are kept"
            ]
        );
    }
}
