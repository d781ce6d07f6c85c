//! `roles/` (list) and `roles/NAME` (read, write, delete), as Vault's `path_roles.go`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::VaultServer;
use super::super::duration::parse_duration_second;
use super::super::http::{Reply, VaultRequest, field_error};
use super::super::state::Role;
use super::ignored_params_warning;

const ROLE_FIELDS: &[&str] = &[
    "name",
    "credential_type",
    "role_arns",
    "policy_arns",
    "policy_document",
    "iam_groups",
    "iam_tags",
    "session_tags",
    "external_id",
    "default_sts_ttl",
    "max_sts_ttl",
    "permissions_boundary_arn",
    "arn",
    "policy",
    "user_path",
    "mfa_serial_number",
];

const CRED_TYPES: &[&str] = &[
    "iam_user",
    "assumed_role",
    "federation_token",
    "session_token",
];

/// Vault's `TypeCommaStringSlice`: a comma-separated string or a list.
fn comma_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) if s.is_empty() => Ok(Vec::new()),
        Value::String(s) => Ok(s.split(',').map(|p| p.trim().to_owned()).collect()),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.trim().to_owned()),
                other => Ok(other.to_string()),
            })
            .collect(),
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "expected a list or comma-separated string, got {other}"
        )),
    }
}

/// Vault's `TypeKVPairs`: a map, or `["k=v", …]` (or `"k=v,k2=v2"`).
fn kv_pairs(value: &Value) -> Result<BTreeMap<String, String>, String> {
    match value {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect()),
        other => comma_list(other)?
            .into_iter()
            .map(|pair| {
                pair.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| format!("invalid key value pair {pair:?}"))
            })
            .collect(),
    }
}

/// Go's `json.Compact`: the document re-serialized without insignificant whitespace.
/// Keys keep their order since only whitespace is removed.
pub fn compact_json(input: &str) -> Result<String, ()> {
    // Validate first, then strip whitespace outside strings.
    serde_json::from_str::<serde::de::IgnoredAny>(input).map_err(|_| ())?;
    let mut out = String::with_capacity(input.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in input.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    Ok(out)
}

fn legacy_role(entry: &str) -> Result<Role, String> {
    let invalid = || format!("unable to parse supplied data: {entry:?}");
    if entry.starts_with("arn:") {
        let parts: Vec<&str> = entry.splitn(6, ':').collect();
        if parts.len() < 6 {
            return Err(invalid());
        }
        let resource_type = parts[5].split('/').next().unwrap_or("");
        return match resource_type {
            "role" => Ok(Role {
                credential_types: vec!["assumed_role".into()],
                role_arns: Some(vec![entry.to_owned()]),
                prohibit_flexible_cred_path: true,
                ..Role::default()
            }),
            "policy" => Ok(Role {
                credential_types: vec!["iam_user".into()],
                policy_arns: Some(vec![entry.to_owned()]),
                prohibit_flexible_cred_path: true,
                ..Role::default()
            }),
            _ => Err(invalid()),
        };
    }
    let compacted = compact_json(entry).map_err(|()| invalid())?;
    Ok(Role {
        credential_types: vec!["iam_user".into(), "federation_token".into()],
        policy_document: compacted,
        prohibit_flexible_cred_path: true,
        ..Role::default()
    })
}

/// Vault's `awsRoleEntry.validate`, as its multierror text.
fn validate(role: &Role) -> Result<(), String> {
    let has = |t: &str| role.credential_types.iter().any(|c| c == t);
    let sts = has("assumed_role") || has("federation_token") || has("session_token");
    let mut errors: Vec<String> = Vec::new();
    if role.credential_types.is_empty() {
        errors.push("did not supply credential_type".into());
    }
    for t in &role.credential_types {
        if !CRED_TYPES.contains(&t.as_str()) {
            errors.push(format!("unrecognized credential type: {t}"));
        }
    }
    if role.default_sts_ttl != 0 && !sts {
        errors.push("default_sts_ttl parameter only valid for assumed_role, federation_token, and session_token credential types".into());
    }
    if role.max_sts_ttl != 0 && !sts {
        errors.push("max_sts_ttl parameter only valid for assumed_role, federation_token, and session_token credential types".into());
    }
    if role.max_sts_ttl > 0 && role.default_sts_ttl > role.max_sts_ttl {
        errors.push(
            "\"default_sts_ttl\" value must be less than or equal to \"max_sts_ttl\" value".into(),
        );
    }
    if !role.user_path.is_empty() {
        if !has("iam_user") {
            errors.push("user_path parameter only valid for iam_user credential type".into());
        }
        let p = &role.user_path;
        let valid = p == "/"
            || (p.len() >= 2
                && p.len() <= 512
                && p.starts_with('/')
                && p.ends_with('/')
                && p.bytes().all(|b| (0x21..=0x7f).contains(&b)));
        if !valid {
            errors.push(
                "the specified value for user_path is invalid. It must match \"^\\\\/([\\\\x21-\\\\x7F]{0,510}\\\\/)?$\" regexp".into(),
            );
        }
    }
    if !role.permissions_boundary_arn.is_empty() {
        if !has("iam_user") {
            errors.push(
                "cannot supply permissions_boundary_arn when credential_type isn't iam_user".into(),
            );
        }
        let parts: Vec<&str> = role.permissions_boundary_arn.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            errors.push("invalid permissions_boundary_arn parameter: arn: invalid prefix".into());
        } else if parts[2] != "iam" {
            errors.push(format!(
                "invalid permissions_boundary_arn parameter: expected a service of iam but got {}",
                parts[2]
            ));
        } else if !parts[5].starts_with("policy/") {
            errors.push(format!(
                "invalid permissions_boundary_arn parameter: expected a resource type of policy but got {}",
                parts[5]
            ));
        }
    }
    let has_policy = !role.policy_document.is_empty()
        || role.policy_arns.as_ref().is_some_and(|p| !p.is_empty());
    if has_policy && has("session_token") {
        errors
            .push("cannot supply a policy or role when using credential_type session_token".into());
    }
    if role.role_arns.as_ref().is_some_and(|r| !r.is_empty()) && !has("assumed_role") {
        errors.push("cannot supply role_arns when credential_type isn't assumed_role".into());
    }
    if role.session_tags.as_ref().is_some_and(|t| !t.is_empty()) && !has("assumed_role") {
        errors.push("cannot supply session_tags when credential_type isn't assumed_role".into());
    }
    if !role.external_id.is_empty() && !has("assumed_role") {
        errors.push("cannot supply external_id when credential_type isn't assumed_role".into());
    }
    if errors.is_empty() {
        return Ok(());
    }
    let noun = if errors.len() == 1 { "error" } else { "errors" };
    let mut text = format!("{} {noun} occurred:\n", errors.len());
    for e in &errors {
        text.push_str(&format!("\t* {e}\n"));
    }
    text.push('\n');
    Err(text)
}

/// The role as Vault reads it back.
pub fn role_response(role: &Role) -> Value {
    json!({
        "credential_type": role.credential_types.join(","),
        "policy_arns": role.policy_arns,
        "role_arns": role.role_arns,
        "policy_document": role.policy_document,
        "iam_groups": role.iam_groups,
        "iam_tags": role.iam_tags,
        "session_tags": role.session_tags,
        "external_id": role.external_id,
        "default_sts_ttl": role.default_sts_ttl,
        "max_sts_ttl": role.max_sts_ttl,
        "user_path": role.user_path,
        "permissions_boundary_arn": role.permissions_boundary_arn,
        "mfa_serial_number": role.mfa_serial_number,
    })
}

/// Applies a role write to `existing` (Vault updates roles in place). `Ok` carries the new
/// role and the warnings; `Err` the 400 message.
pub fn apply_role_write(
    existing: Option<Role>,
    req: &VaultRequest,
) -> Result<(Role, Vec<String>), String> {
    let mut role = existing.unwrap_or_default();
    let mut warnings = Vec::new();
    let policy = req.str_field("policy").unwrap_or_default();
    let arn = req.str_field("arn").unwrap_or_default();
    let legacy = match (policy.is_empty(), arn.is_empty()) {
        (true, true) => None,
        (false, false) => return Err("only one of policy or arn should be provided".into()),
        (false, true) => Some(policy),
        (true, false) => Some(arn),
    };
    let given = |k: &str| req.data.get(k).filter(|v| !v.is_null());
    let mixed =
        |param: &str| format!("cannot supply deprecated role or policy parameters with {param}");
    if let Some(v) = given("credential_type") {
        if legacy.is_some() {
            return Err(mixed("an explicit credential_type"));
        }
        role.credential_types = vec![v.as_str().map_or_else(|| v.to_string(), str::to_owned)];
    }
    for (key, slot) in [
        ("role_arns", &mut role.role_arns),
        ("policy_arns", &mut role.policy_arns),
    ] {
        if let Some(v) = given(key) {
            if legacy.is_some() {
                return Err(mixed(key));
            }
            *slot = Some(comma_list(v).map_err(|e| field_error(v, key, &e))?);
        }
    }
    if let Some(v) = given("policy_document") {
        if legacy.is_some() {
            return Err(mixed("policy_document"));
        }
        let raw = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        role.policy_document = if raw.is_empty() {
            raw
        } else {
            compact_json(&raw).map_err(|()| format!("cannot parse policy document: {raw:?}"))?
        };
    }
    for (key, slot) in [
        ("default_sts_ttl", &mut role.default_sts_ttl),
        ("max_sts_ttl", &mut role.max_sts_ttl),
    ] {
        if let Some(v) = given(key) {
            if legacy.is_some() {
                return Err(mixed(key));
            }
            *slot = parse_duration_second(v).map_err(|e| field_error(v, key, &e))?;
        }
    }
    for (key, slot) in [
        ("user_path", &mut role.user_path),
        (
            "permissions_boundary_arn",
            &mut role.permissions_boundary_arn,
        ),
    ] {
        if let Some(v) = given(key) {
            if legacy.is_some() {
                return Err(mixed(key));
            }
            *slot = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        }
    }
    if let Some(v) = given("iam_groups") {
        role.iam_groups = Some(comma_list(v).map_err(|e| field_error(v, "iam_groups", &e))?);
    }
    if let Some(v) = given("iam_tags") {
        role.iam_tags = Some(kv_pairs(v).map_err(|e| field_error(v, "iam_tags", &e))?);
    }
    if let Some(v) = given("session_tags") {
        role.session_tags = Some(kv_pairs(v).map_err(|e| field_error(v, "session_tags", &e))?);
    }
    if let Some(v) = given("mfa_serial_number") {
        role.mfa_serial_number = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    }
    if let Some(v) = given("external_id") {
        role.external_id = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    }
    match legacy {
        Some(entry) => {
            role = legacy_role(&entry)?;
            warnings.push(
                "Detected use of legacy role or policy parameter. Please upgrade to use the new parameters.".to_owned(),
            );
        }
        None => role.prohibit_flexible_cred_path = false,
    }
    validate(&role).map_err(|e| format!("error(s) validating supplied role data: {e:?}"))?;
    if let Some(w) = ignored_params_warning(req, ROLE_FIELDS) {
        warnings.push(w);
    }
    Ok((role, warnings))
}

impl VaultServer {
    pub(super) fn roles_list(&self, mount: &str) -> Reply {
        let names: Vec<String> = self
            .engine(mount, |aws| aws.roles.keys().cloned().collect())
            .unwrap_or_default();
        if names.is_empty() {
            return Reply::not_found_empty();
        }
        Reply::data(json!({ "keys": names }))
    }

    pub(super) fn role_read(&self, mount: &str, name: &str) -> Reply {
        match self
            .engine(mount, |aws| aws.roles.get(name).cloned())
            .flatten()
        {
            Some(role) => Reply::data(role_response(&role)),
            None => Reply::not_found_empty(),
        }
    }

    pub(super) fn role_write(&self, mount: &str, name: &str, req: &VaultRequest) -> Reply {
        let existing = self
            .engine(mount, |aws| aws.roles.get(name).cloned())
            .flatten();
        let (role, warnings) = match apply_role_write(existing, req) {
            Ok(v) => v,
            Err(e) => return Reply::bad_request(e),
        };
        if self
            .engine(mount, |aws| aws.roles.insert(name.to_owned(), role))
            .is_none()
        {
            return Reply::no_handler(&format!("{mount}roles/{name}"));
        }
        self.changed();
        if warnings.is_empty() {
            Reply::no_content()
        } else {
            Reply::warnings(warnings)
        }
    }

    pub(super) fn role_delete(&self, mount: &str, name: &str) -> Reply {
        if self
            .engine(mount, |aws| aws.roles.remove(name))
            .flatten()
            .is_some()
        {
            self.changed();
        }
        Reply::no_content()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::http::Operation;

    fn write(data: Value) -> Result<(Role, Vec<String>), String> {
        let req = VaultRequest {
            data: data.as_object().unwrap().clone(),
            ..VaultRequest::new("aws/roles/r", Operation::Update)
        };
        apply_role_write(None, &req)
    }

    #[test]
    fn policy_document_is_compacted() {
        let (role, warnings) = write(json!({
            "credential_type": "iam_user",
            "policy_document": "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\", \"Action\": \"ec2:Describe *\"} ]\n}\n"
        }))
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(
            role.policy_document,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe *"}]}"#
        );
    }

    #[test]
    fn invalid_policy_document_is_rejected_with_the_raw_text() {
        let err = write(json!({"credential_type": "iam_user", "policy_document": "{not json"}))
            .unwrap_err();
        assert_eq!(err, r#"cannot parse policy document: "{not json""#);
    }

    #[test]
    fn legacy_policy_parameter_warns_and_cannot_be_mixed() {
        let (role, warnings) = write(json!({"policy": "{\"Version\": \"2012-10-17\"}"})).unwrap();
        assert_eq!(role.credential_types, ["iam_user", "federation_token"]);
        assert_eq!(
            warnings,
            [
                "Detected use of legacy role or policy parameter. Please upgrade to use the new parameters."
            ]
        );
        let err = write(json!({"policy": "{}", "credential_type": "iam_user"})).unwrap_err();
        assert_eq!(
            err,
            "cannot supply deprecated role or policy parameters with an explicit credential_type"
        );
    }

    #[test]
    fn missing_credential_type_is_a_validation_error() {
        let err = write(json!({"policy_document": "{}"})).unwrap_err();
        assert_eq!(
            err,
            "error(s) validating supplied role data: \"1 error occurred:\\n\\t* did not supply credential_type\\n\\n\""
        );
    }

    #[test]
    fn lists_accept_comma_strings_and_arrays() {
        let (role, _) = write(json!({
            "credential_type": "iam_user",
            "policy_arns": "arn:aws:iam::aws:policy/A,arn:aws:iam::aws:policy/B",
            "iam_groups": ["g1", "g2"],
        }))
        .unwrap();
        assert_eq!(role.policy_arns.unwrap().len(), 2);
        assert_eq!(role.iam_groups.unwrap(), ["g1", "g2"]);
        let read = role_response(&write(json!({"credential_type": "iam_user"})).unwrap().0);
        assert_eq!(read["policy_arns"], Value::Null);
        assert_eq!(read["credential_type"], "iam_user");
    }
}
