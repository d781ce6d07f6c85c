//! What a lab file may expect of each secrets engine: its name, the mount type, the
//! values it reads from the lab's form and from issued credentials, and the variables it
//! provides. Pure data, read by the lab loader to check a lab against its engine.

/// One secrets engine, as a lab names it (`engine = "aws"`).
#[derive(Debug)]
pub struct EngineSpec {
    pub id: &'static str,
    /// As a sentence says it: "the AWS secrets engine".
    pub name: &'static str,
    /// The `type` Vault mounts it as.
    pub mount_type: &'static str,
    /// The form fields the engine reads (the root keys it checks and uses).
    pub form_fields: &'static [&'static str],
    /// The fields of issued credentials the engine uses.
    pub creds_fields: &'static [&'static str],
    /// The fields of its requests and answers that are secrets, masked wherever shown.
    pub secret_fields: &'static [&'static str],
    /// Variables the engine provides to templates, each perhaps without a value (a body
    /// field that is only such a variable is left out when it has none).
    pub vars: &'static [&'static str],
    /// The plugin catalog entry (`type`, `name`) that shows the server can run the lab:
    /// `vaultlab doctor` reads `sys/plugins/catalog/TYPE/NAME`.
    pub catalog: (&'static str, &'static str),
    /// `vaultlab doctor`'s words when the server has no such engine: what, and the fix.
    pub missing: (&'static str, &'static str),
}

pub const AWS: EngineSpec = EngineSpec {
    id: "aws",
    name: "AWS",
    mount_type: "aws",
    form_fields: &["access_key", "secret_key", "region"],
    creds_fields: &["access_key", "secret_key"],
    secret_fields: &["secret_key", "security_token", "session_token"],
    vars: &["aws_endpoint"],
    catalog: ("secret", "aws"),
    missing: (
        "this server has no AWS secrets engine (OpenBao ships without it)",
        "Run the lab on vaultlab's own sandbox (`vaultlab --sandbox`), or on a Vault server; OpenBao needs the openbao-plugin-secrets-aws plugin registered in its catalog.",
    ),
};

pub const DATABASE: EngineSpec = EngineSpec {
    id: "database",
    name: "database",
    mount_type: "database",
    form_fields: &["host", "port", "database", "username", "password"],
    creds_fields: &["username", "password"],
    // A connection's and a role's password, and the private key of key-pair auth.
    secret_fields: &["password", "private_key"],
    vars: &[],
    // The database engine is built into Vault and OpenBao; the lab needs its PostgreSQL
    // plugin.
    catalog: ("database", "postgresql-database-plugin"),
    missing: (
        "this server has no postgresql-database-plugin in its plugin catalog",
        "Use a Vault or OpenBao server, which have it built in, or run the lab with no Vault named: vaultlab then starts an OpenBao dev server itself.",
    ),
};

/// Every engine vaultlab knows.
pub const ENGINES: &[&EngineSpec] = &[&AWS, &DATABASE];

pub fn find(id: &str) -> Option<&'static EngineSpec> {
    ENGINES.iter().copied().find(|engine| engine.id == id)
}
