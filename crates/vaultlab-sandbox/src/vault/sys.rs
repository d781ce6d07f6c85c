//! `sys/health`, `sys/init`, `sys/seal-status`, `sys/leader`, `sys/mounts…` (tuning is
//! `tune`), `sys/capabilities-self` and `auth/token/lookup-self`.

use serde_json::{Map, Value, json};

use super::VaultServer;
use super::http::{Operation, Reply, VaultRequest};
use super::namespace::NsRef;
use super::state::{AwsEngineState, Mount};
use super::username::random_base62;

/// The version the sandbox reports: the Vault API generation it follows.
pub const VERSION: &str = "1.15.6+vaultlab-sandbox";

/// The headers Vault passes through to a built-in mount's backend.
fn passthrough_headers(mount_type: &str) -> Option<Value> {
    match mount_type {
        "system" => Some(json!(["Accept"])),
        "identity" => Some(json!(["Authorization"])),
        _ => None,
    }
}

fn mount_json(mount: &Mount) -> Value {
    let system = mount.mount_type == "system";
    let mut config = json!({
        "default_lease_ttl": mount.default_lease_ttl,
        "force_no_cache": false,
        "max_lease_ttl": mount.max_lease_ttl,
    });
    if let Some(headers) = passthrough_headers(&mount.mount_type) {
        config["passthrough_request_headers"] = headers;
    }
    let mut entry = json!({
        "accessor": mount.accessor,
        "config": config,
        "description": mount.description,
        "external_entropy_access": false,
        "local": mount.mount_type == "cubbyhole",
        "options": null,
        "plugin_version": "",
        "running_plugin_version": format!("v{}+builtin.vault", VERSION.split('+').next().unwrap_or(VERSION)),
        "running_sha256": "",
        "seal_wrap": system,
        "type": mount.mount_type,
        "uuid": mount.uuid,
    });
    // Vault names the deprecation status of plugins in its registry (not of its own
    // sys/, cubbyhole/ and identity/).
    if !BUILTIN_MOUNTS
        .iter()
        .any(|(_, kind, _)| *kind == mount.mount_type)
    {
        entry["deprecation_status"] = json!("supported");
    }
    entry
}

/// The mounts every Vault server has: path, type, description.
pub const BUILTIN_MOUNTS: &[(&str, &str, &str)] = &[
    (
        "cubbyhole/",
        "cubbyhole",
        "per-token private secret storage",
    ),
    ("identity/", "identity", "identity store"),
    (
        "sys/",
        "system",
        "system endpoints used for control, policy and debugging",
    ),
];

/// Adds the built-in mounts a table lacks (a new server, or a state file from before
/// cubbyhole/ and identity/ were listed).
pub fn ensure_builtin_mounts(mounts: &mut crate::persist::TrackedMap<Mount>, ns: &NsRef) {
    for (path, kind, description) in BUILTIN_MOUNTS {
        let key = ns.key(path);
        if !mounts.contains_key(&key) {
            let mut mount = new_mount(path, kind, description);
            mount.namespace = ns.path.clone();
            mounts.insert(key, mount);
        }
    }
}

/// A new mount entry of `mount_type` at `path` (ending in `/`).
pub fn new_mount(path: &str, mount_type: &str, description: &str) -> Mount {
    let accessor_prefix = if mount_type == "system" {
        "system"
    } else {
        mount_type
    };
    let accessor = format!("{accessor_prefix}_{:08x}", rand::random::<u32>());
    Mount {
        path: path.to_owned(),
        namespace: String::new(),
        mount_type: mount_type.to_owned(),
        accessor,
        uuid: uuid::Uuid::new_v4().to_string(),
        description: description.to_owned(),
        default_lease_ttl: 0,
        max_lease_ttl: 0,
        aws: (mount_type == "aws").then(AwsEngineState::default),
    }
}

/// Normalizes a mount path as Vault's `sanitizePath`: no leading slash, one trailing slash.
pub fn sanitize_mount_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    format!("{trimmed}/")
}

impl VaultServer {
    /// `sys/health`. This server is always initialized, unsealed and active, so of the
    /// status codes a client may choose (`activecode`, `standbycode`, `sealedcode`…) only
    /// `activecode` applies; each must still be a number, as Vault checks them all.
    pub(super) fn health(&self, req: &VaultRequest) -> Reply {
        let mut status = axum::http::StatusCode::OK;
        for key in [
            "activecode",
            "standbycode",
            "drsecondarycode",
            "haunhealthycode",
            "performancestandbycode",
            "sealedcode",
            "uninitcode",
        ] {
            let Some(raw) = req.str_field(key) else {
                continue;
            };
            let code = raw
                .parse::<u16>()
                .ok()
                .and_then(|c| axum::http::StatusCode::from_u16(c).ok());
            match code {
                None => {
                    return Reply {
                        status: axum::http::StatusCode::BAD_REQUEST,
                        body: Some(json!({ "errors": [] })),
                    };
                }
                Some(code) if key == "activecode" => status = code,
                Some(_) => {}
            }
        }
        if status == axum::http::StatusCode::NO_CONTENT {
            return Reply::no_content();
        }
        let state = self.lock();
        let mut reply = Reply::raw(json!({
            "initialized": true,
            "sealed": false,
            "standby": false,
            "performance_standby": false,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": self.now().timestamp(),
            "version": VERSION,
            "cluster_name": state.cluster_name,
            "cluster_id": state.cluster_id,
        }));
        reply.status = status;
        reply
    }

    pub(super) fn seal_status(&self) -> Reply {
        let state = self.lock();
        Reply::raw(json!({
            "type": "shamir",
            "initialized": true,
            "sealed": false,
            "t": 1,
            "n": 1,
            "progress": 0,
            "nonce": "",
            "version": VERSION,
            "build_date": "2024-02-28T17:07:34Z",
            "migration": false,
            "cluster_name": state.cluster_name,
            "cluster_id": state.cluster_id,
            "recovery_seal": false,
            "storage_type": "inmem",
        }))
    }

    pub(super) fn mounts_list(&self, req: &VaultRequest) -> Reply {
        let state = self.lock();
        let table: Map<String, Value> = state
            .mounts
            .values()
            .filter(|m| m.namespace == req.ns.path)
            .map(|m| (m.path.clone(), mount_json(m)))
            .collect();
        req.data_reply(Value::Object(table))
    }

    pub(super) async fn mount_route(&self, req: &VaultRequest, raw_path: &str) -> Reply {
        // `mounts/(?P<path>.+?)/tune$` comes before `mounts/(?P<path>.+?)` in Vault.
        if let Some(tuned) = raw_path.strip_suffix("/tune").filter(|p| !p.is_empty()) {
            return self.tune_route(req, tuned);
        }
        let path = sanitize_mount_path(raw_path);
        if path == "/" {
            return Reply::unsupported_path();
        }
        match req.operation {
            Operation::Read => {
                let state = self.lock();
                // A parent may read a child namespace's mount by its relative path.
                match state.mounts.get(&req.ns.key(&path)) {
                    Some(m) => req.data_reply(mount_json(m)),
                    None => Reply::bad_request(format!("No secret engine mount at {path}")),
                }
            }
            Operation::Update => self.mount_enable(req, &path),
            Operation::Delete => self.mount_disable(req, &path).await,
            // Vault lists `sys/mounts/<path>/`, which no route matches.
            Operation::List => Reply::unsupported_path(),
            Operation::Patch | Operation::Scan => Reply::unsupported_operation(),
        }
    }

    fn mount_enable(&self, req: &VaultRequest, path: &str) -> Reply {
        // Vault reads the TTLs of `config` before anything else.
        let ttls = match super::tune::enable_config_ttls(req) {
            Ok(ttls) => ttls,
            Err(reply) => return reply,
        };
        let mount_type = req.str_field("type").unwrap_or_default();
        if mount_type.is_empty() {
            return Reply::bad_request("backend type must be specified as a string");
        }
        let version = req
            .data
            .get("options")
            .and_then(|o| o.get("version"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        if !version.is_empty() && !mount_type.starts_with("kv") {
            return Reply::bad_request(format!(
                "secrets engine {mount_type:?} does not allow setting a version"
            ));
        }
        // Vault checks protected paths, then conflicts, then the plugin catalog.
        if ["auth/", "cubbyhole/", "sys/", "identity/"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            return Reply::bad_request(format!("cannot mount {path:?}"));
        }
        let description = req.str_field("description").unwrap_or_default();
        {
            let mut state = self.lock();
            let key = req.ns.key(path);
            if let Some(existing) = state
                .mounts
                .values()
                .filter(|m| m.namespace == req.ns.path)
                .find(|m| path.starts_with(m.path.as_str()) || m.path.starts_with(path))
            {
                return Reply::bad_request(format!("path is already in use at {}", existing.path));
            }
            // A child namespace is there (OpenBao names the child's token mount).
            if let Some(child) = state.namespaces.keys().find(|n| {
                n.len() > req.ns.path.len()
                    && n.starts_with(&req.ns.path)
                    && (key.starts_with(n.as_str()) || n.starts_with(&key))
            }) {
                return Reply::bad_request(format!("existing mount at {child}auth/token/"));
            }
            if let Some(refusal) = super::not_implemented::secrets_engine(&mount_type) {
                return refusal;
            }
            if mount_type != "aws" {
                return Reply::bad_request(format!(
                    "plugin not found in the catalog: {mount_type}"
                ));
            }
            let mut mount = new_mount(path, &mount_type, &description);
            mount.namespace = req.ns.path.clone();
            (mount.default_lease_ttl, mount.max_lease_ttl) = ttls;
            if let Some(lease) = super::room_ops::room_short_leases(&state, &req.ns.path) {
                mount.aws.get_or_insert_with(Default::default).lease = Some(lease);
            }
            state.mounts.insert(key, mount);
        }
        self.changed();
        Reply::no_content()
    }

    async fn mount_disable(&self, req: &VaultRequest, path: &str) -> Reply {
        let key = req.ns.key(path);
        // Vault answers 204 for a path with no mount, then refuses its own mounts.
        if !self.lock().mounts.contains_key(&key) {
            return Reply::no_content();
        }
        if ["audit/", "auth/", "sys/", "cubbyhole/", "identity/"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            return Reply::bad_request(format!("cannot unmount {path:?}"));
        }
        // Vault revokes the mount's leases before it unmounts.
        let ids = self.lease_ids_under(&key);
        let total = ids.len();
        for (index, id) in ids.iter().enumerate() {
            if let Err(e) = self.revoke_now(id).await {
                return Reply::bad_request(format!(
                    "failed to revoke {id:?} ({} / {total}): {e}",
                    index + 1
                ));
            }
        }
        // And, as Vault's last rollback at unmount, deletes its half-made IAM users.
        if let Err(e) = self.roll_back_mount(&key).await {
            return Reply::bad_request(format!("cannot disable {path}: {e}"));
        }
        self.lock().mounts.remove(&key);
        self.changed();
        Reply::no_content()
    }

    pub(super) fn lookup_self(&self, req: &VaultRequest) -> Reply {
        if !matches!(req.operation, Operation::Read | Operation::Update) {
            return Reply::unsupported_operation();
        }
        let state = self.lock();
        Reply::data(json!({
            "accessor": state.root_accessor,
            "creation_time": state.root_created.timestamp(),
            "creation_ttl": 0,
            "display_name": "root",
            "entity_id": "",
            "expire_time": null,
            "explicit_max_ttl": 0,
            "id": state.root_token.expose(),
            "issue_time": state.root_created.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "meta": null,
            "num_uses": 0,
            "orphan": true,
            "path": "auth/token/root",
            "policies": ["root"],
            "renewable": false,
            "ttl": 0,
            "type": "service",
        }))
    }

    pub(super) fn capabilities_self(&self, req: &VaultRequest) -> Reply {
        if req.operation != Operation::Update {
            return Reply::unsupported_operation();
        }
        // Both are Vault's comma-separated string slices; `path` (deprecated) only counts
        // when `paths` gives none.
        let comma_slice = |key: &str| -> Vec<String> {
            let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let items: Vec<String> = match req.data.get(key) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.iter().map(text).collect(),
                Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
                Some(other) => vec![text(other)],
            };
            items
                .into_iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect()
        };
        let mut paths = comma_slice("paths");
        if paths.is_empty() {
            paths = comma_slice("path");
        }
        if paths.is_empty() {
            return Reply::bad_request("paths must be supplied");
        }
        let mut data = Map::new();
        for p in &paths {
            data.insert(p.clone(), json!(self.capabilities_of(req, p)));
        }
        if paths.len() == 1 {
            let only = data.get(&paths[0]).cloned().unwrap_or(json!(["deny"]));
            data.insert("capabilities".into(), only);
        }
        Reply::data_with_top_copy(Value::Object(data))
    }
}

/// `sys/plugins/catalog/secret/aws`: the built-in AWS engine, in Vault's entry shape.
pub fn catalog_entry_aws() -> Reply {
    Reply::data(json!({
        "args": null,
        "builtin": true,
        "command": "",
        "deprecation_status": "supported",
        "name": "aws",
        "sha256": "",
        "version": format!("v{VERSION}"),
    }))
}

/// `sys/init`, Vault's own handler: GET says the server is initialized; PUT/POST validate
/// the seal configuration as Vault does, then refuse (it is initialized already).
pub fn init(req: &VaultRequest) -> Reply {
    match req.operation {
        Operation::Read => Reply::raw(json!({ "initialized": true })),
        Operation::Update => {
            let number = |key: &str| {
                req.data
                    .get(key)
                    .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
                    .unwrap_or(0)
            };
            let (shares, threshold) = (number("secret_shares"), number("secret_threshold"));
            let invalid = if shares < 1 {
                Some("shares must be at least one")
            } else if threshold < 1 {
                Some("threshold must be at least one")
            } else if shares > 1 && threshold == 1 {
                Some("threshold must be greater than one for multiple shares")
            } else if shares > 255 {
                Some("shares must be less than 256")
            } else if threshold > 255 {
                Some("threshold must be less than 256")
            } else if threshold > shares {
                Some("threshold cannot be larger than shares")
            } else {
                None
            };
            match invalid {
                Some(why) => Reply::bad_request(format!("invalid seal configuration: {why}")),
                None => Reply::bad_request("Vault is already initialized"),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

/// `sys/leader` of a single node without HA.
pub fn leader() -> Reply {
    Reply::raw(json!({
        "ha_enabled": false,
        "is_self": false,
        "active_time": "0001-01-01T00:00:00Z",
        "leader_address": "",
        "leader_cluster_address": "",
        "performance_standby": false,
        "performance_standby_last_remote_wal": 0,
    }))
}

/// A random root token: `hvs.` and 24 base62 characters.
pub fn new_root_token() -> String {
    format!("hvs.{}", random_base62(24))
}
