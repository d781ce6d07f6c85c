//! What one record of the state log holds: the rows one lock's holder changed, one JSON
//! object a line. A row sets a table's row to its new value, or removes it (`"v":null`);
//! the "meta" rows (`vault`, `aws`) hold everything of a side but its tables. Replaying a
//! row twice changes nothing, so a snapshot may be taken while records are written.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tracked::{TrackedMap, to_json_without_tables};
use crate::aws::AwsState;
use crate::vault::VaultState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Table {
    Vault,
    Aws,
    Lease,
    HalfMadeUser,
    IamUser,
    IamGroup,
    AccessKey,
    AwsAccount,
    Mount,
    Namespace,
    Policy,
    Token,
    Seat,
    SeatProgress,
    SeatLog,
}

#[derive(Serialize)]
struct RowOut<'a, V> {
    t: Table,
    k: &'a str,
    v: Option<&'a V>,
}

#[derive(Deserialize)]
struct RowIn {
    t: Table,
    #[serde(default)]
    k: String,
    v: Value,
}

fn push_meta(out: &mut Vec<u8>, table: Table, meta: &[u8]) {
    let name = match table {
        Table::Vault => "vault",
        _ => "aws",
    };
    out.extend_from_slice(br#"{"t":""#);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(br#"","v":"#);
    out.extend_from_slice(meta);
    out.extend_from_slice(b"}\n");
}

fn push_rows<V: Serialize>(out: &mut Vec<u8>, table: Table, map: &mut TrackedMap<V>) {
    for (key, value) in map.take_changed() {
        let row = RowOut {
            t: table,
            k: &key,
            v: value,
        };
        serde_json::to_writer(&mut *out, &row).expect("row serializes");
        out.push(b'\n');
    }
}

/// `state` without its tables, as a meta row records it.
pub fn vault_meta(state: &VaultState) -> Vec<u8> {
    to_json_without_tables(state)
}

pub fn aws_meta(state: &AwsState) -> Vec<u8> {
    to_json_without_tables(state)
}

/// The rows for what changed in `state` since the last call (empty if nothing did).
/// `last_meta` is the meta row last recorded: an unchanged one is not recorded again.
pub fn vault_rows(state: &mut VaultState, last_meta: &mut Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let meta = vault_meta(state);
    if meta != *last_meta {
        push_meta(&mut out, Table::Vault, &meta);
        *last_meta = meta;
    }
    push_rows(&mut out, Table::Lease, &mut state.leases);
    push_rows(&mut out, Table::HalfMadeUser, &mut state.half_made_users);
    push_rows(&mut out, Table::Mount, &mut state.mounts);
    push_rows(&mut out, Table::Namespace, &mut state.namespaces);
    push_rows(&mut out, Table::Policy, &mut state.policies);
    push_rows(&mut out, Table::Token, &mut state.tokens);
    push_rows(&mut out, Table::Seat, &mut state.seats);
    push_rows(&mut out, Table::SeatProgress, &mut state.seat_progress);
    push_rows(&mut out, Table::SeatLog, &mut state.seat_log);
    out
}

pub fn aws_rows(state: &mut AwsState, last_meta: &mut Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let meta = aws_meta(state);
    if meta != *last_meta {
        push_meta(&mut out, Table::Aws, &meta);
        *last_meta = meta;
    }
    push_rows(&mut out, Table::AwsAccount, &mut state.accounts);
    push_rows(&mut out, Table::IamUser, &mut state.users);
    push_rows(&mut out, Table::IamGroup, &mut state.groups);
    push_rows(&mut out, Table::AccessKey, &mut state.access_keys);
    out
}

/// Without a state file nothing is recorded; the marks are dropped so they do not pile up.
pub fn forget_vault_changes(state: &mut VaultState) {
    state.leases.forget_changes();
    state.half_made_users.forget_changes();
    state.mounts.forget_changes();
    state.namespaces.forget_changes();
    state.policies.forget_changes();
    state.tokens.forget_changes();
    state.seats.forget_changes();
    state.seat_progress.forget_changes();
    state.seat_log.forget_changes();
}

pub fn forget_aws_changes(state: &mut AwsState) {
    state.accounts.forget_changes();
    state.users.forget_changes();
    state.groups.forget_changes();
    state.access_keys.forget_changes();
}

/// serde_json's wording, minus any value it quotes (a value may be a secret).
pub fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => format!(
            "a value of the wrong type or shape at line {} column {}",
            error.line(),
            error.column()
        ),
        Category::Eof => format!("it ends early, at line {}", error.line()),
        Category::Syntax | Category::Io => error.to_string(),
    }
}

fn set<V: DeserializeOwned>(
    table: &mut TrackedMap<V>,
    key: String,
    value: Value,
) -> Result<(), String> {
    if value.is_null() {
        table.remove(&key);
    } else {
        let value = serde_json::from_value(value).map_err(|e| describe_json_error(&e))?;
        table.insert(key, value);
    }
    Ok(())
}

/// Applies one record's rows.
pub fn apply(payload: &[u8], vault: &mut VaultState, aws: &mut AwsState) -> Result<(), String> {
    for line in payload.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let row: RowIn = serde_json::from_slice(line).map_err(|e| describe_json_error(&e))?;
        match row.t {
            Table::Vault => {
                let mut meta: VaultState =
                    serde_json::from_value(row.v).map_err(|e| describe_json_error(&e))?;
                meta.leases = std::mem::take(&mut vault.leases);
                meta.half_made_users = std::mem::take(&mut vault.half_made_users);
                // Format 2 kept the mount table in the meta row; format 3 has a row each.
                if meta.mounts.is_empty() {
                    meta.mounts = std::mem::take(&mut vault.mounts);
                }
                meta.namespaces = std::mem::take(&mut vault.namespaces);
                meta.policies = std::mem::take(&mut vault.policies);
                meta.tokens = std::mem::take(&mut vault.tokens);
                meta.seats = std::mem::take(&mut vault.seats);
                meta.seat_progress = std::mem::take(&mut vault.seat_progress);
                meta.seat_log = std::mem::take(&mut vault.seat_log);
                *vault = meta;
            }
            Table::Aws => {
                let mut meta: AwsState =
                    serde_json::from_value(row.v).map_err(|e| describe_json_error(&e))?;
                meta.accounts = std::mem::take(&mut aws.accounts);
                meta.users = std::mem::take(&mut aws.users);
                meta.groups = std::mem::take(&mut aws.groups);
                meta.access_keys = std::mem::take(&mut aws.access_keys);
                *aws = meta;
            }
            Table::Lease => set(&mut vault.leases, row.k, row.v)?,
            Table::HalfMadeUser => set(&mut vault.half_made_users, row.k, row.v)?,
            Table::IamUser => set(&mut aws.users, row.k, row.v)?,
            Table::IamGroup => set(&mut aws.groups, row.k, row.v)?,
            Table::AccessKey => set(&mut aws.access_keys, row.k, row.v)?,
            Table::AwsAccount => set(&mut aws.accounts, row.k, row.v)?,
            Table::Mount => set(&mut vault.mounts, row.k, row.v)?,
            Table::Namespace => set(&mut vault.namespaces, row.k, row.v)?,
            Table::Policy => set(&mut vault.policies, row.k, row.v)?,
            Table::Token => set(&mut vault.tokens, row.k, row.v)?,
            Table::Seat => set(&mut vault.seats, row.k, row.v)?,
            Table::SeatProgress => set(&mut vault.seat_progress, row.k, row.v)?,
            Table::SeatLog => set(&mut vault.seat_log, row.k, row.v)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Lease;
    use chrono::Utc;

    fn lease(id: &str) -> Lease {
        Lease {
            id: id.into(),
            namespace: String::new(),
            mount: "aws/".into(),
            role: "r".into(),
            username: "u".into(),
            token: None,
            issue_time: Utc::now(),
            expire_time: Utc::now(),
            last_renewal: None,
            renewable: true,
            revoke_attempts: 0,
            revoke_at: None,
            revoke_error: None,
            irrevocable: false,
            revocation_asked: false,
        }
    }

    #[test]
    fn rows_replayed_on_an_older_copy_give_the_newer_state() {
        let mut vault = VaultState::new();
        let mut aws = AwsState::new_account();
        let mut meta = (vault_meta(&vault), aws_meta(&aws));
        let (old_vault, old_aws) = (vault.clone(), aws.clone());

        vault.leases.insert("a".into(), lease("a"));
        vault.leases.insert("b".into(), lease("b"));
        vault.cluster_name = "renamed".into();
        let first = vault_rows(&mut vault, &mut meta.0);
        vault.leases.remove("a");
        let second = vault_rows(&mut vault, &mut meta.0);
        let account = aws.account_id.clone();
        aws.create_user(&account, "vault-x", "/", Utc::now())
            .unwrap();
        let third = aws_rows(&mut aws, &mut meta.1);
        assert!(
            vault_rows(&mut vault, &mut meta.0).is_empty(),
            "nothing new"
        );

        let (mut replayed_vault, mut replayed_aws) = (old_vault, old_aws);
        for payload in [&first, &second, &third, &first, &second] {
            apply(payload, &mut replayed_vault, &mut replayed_aws).unwrap();
        }
        assert_eq!(
            replayed_vault.leases.keys().collect::<Vec<_>>(),
            ["b"],
            "a replay of older rows is undone by the newer ones"
        );
        assert_eq!(replayed_vault.cluster_name, "renamed");
        assert!(replayed_aws.user(&account, "vault-x").is_ok());
        assert_eq!(replayed_vault.root_token, vault.root_token);
    }

    #[test]
    fn a_row_of_the_wrong_shape_is_refused_without_quoting_it() {
        let mut vault = VaultState::new();
        let mut aws = AwsState::new_account();
        let err = apply(
            br#"{"t":"lease","k":"x","v":{"id":"hvs.SECRET"}}"#,
            &mut vault,
            &mut aws,
        )
        .unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let err = apply(br#"{"t":"lease","k":"x","v":7"#, &mut vault, &mut aws).unwrap_err();
        assert!(err.contains("ends early"), "{err}");
    }
}
