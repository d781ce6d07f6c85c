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
    /// Variables the engine provides to templates, each perhaps without a value (a body
    /// field that is only such a variable is left out when it has none).
    pub vars: &'static [&'static str],
    /// `vaultlab doctor`'s words when the server has no such engine: what, and the fix.
    pub missing: (&'static str, &'static str),
}

pub const AWS: EngineSpec = EngineSpec {
    id: "aws",
    name: "AWS",
    mount_type: "aws",
    form_fields: &["access_key", "secret_key", "region"],
    creds_fields: &["access_key", "secret_key"],
    vars: &["aws_endpoint"],
    missing: (
        "this server has no AWS secrets engine (OpenBao ships without it)",
        "Run the lab on vaultlab's own sandbox (`vaultlab --sandbox`), or on a Vault server; OpenBao needs the openbao-plugin-secrets-aws plugin registered in its catalog.",
    ),
};

/// Every engine vaultlab knows.
pub const ENGINES: &[&EngineSpec] = &[&AWS];

pub fn find(id: &str) -> Option<&'static EngineSpec> {
    ENGINES.iter().copied().find(|engine| engine.id == id)
}
