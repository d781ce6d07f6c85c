//! Renewable leases for real: OpenBao's database engine issuing PostgreSQL roles, driven by
//! the typed client. OpenBao has no AWS engine, and its built-in engines that need no outside
//! service issue leases that cannot be renewed, so this is where `lease_renew` (and the
//! max-TTL cap warning the lab shows) meets a real server. PostgreSQL (Debian's
//! `postgresql` package) runs on a free port from a throwaway data directory.

use vaultlab_testkit as common;

use std::time::Duration;

use common::{Bao, Postgres};
use secrecy::SecretString;
use serde_json::json;
use vaultlab::vault::types::RevokeOutcome;
use vaultlab::vault::{VaultClient, VaultConfig, VaultError};

const ROOT_TOKEN: &str = common::BAO_ROOT_TOKEN;

fn client_for(bao: &Bao) -> VaultClient {
    let config = VaultConfig::new(&bao.url(), Some(SecretString::from(ROOT_TOKEN.to_owned())))
        .expect("config");
    VaultClient::new(config).expect("client")
}
fn role_exists(pg: &Postgres, role: &str) -> bool {
    let sql = format!(
        "select count(*) from pg_roles where rolname = '{}'",
        role.replace('\'', "''")
    );
    pg.query(&sql) == "1"
}

#[tokio::test]
async fn a_renewable_database_lease_renews_is_capped_at_max_ttl_and_revokes() {
    let pg = Postgres::start();
    let bao = Bao::dev();
    let client = client_for(&bao);
    client
        .enable_mount("database", "database")
        .await
        .expect("enable database");
    client
        .write(
            "database/config/pg",
            json!({
                "plugin_name": "postgresql-database-plugin",
                "allowed_roles": "readonly",
                "connection_url": format!(
                    "postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{}/postgres?sslmode=disable",
                    pg.port
                ),
                "username": "postgres",
                "password": "unused-with-trust-auth",
            }),
        )
        .await
        .expect("database config");
    client
        .write(
            "database/roles/readonly",
            json!({
                "db_name": "pg",
                "default_ttl": "1h",
                "max_ttl": "2h",
                "creation_statements": [
                    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
                ],
            }),
        )
        .await
        .expect("database role");

    let reply = client.read("database/creds/readonly").await.expect("creds");
    assert!(!format!("{reply:?}").contains(reply.data().unwrap()["password"].as_str().unwrap()));
    let envelope = reply.envelope.as_ref().unwrap();
    let lease_id = envelope.lease_id.clone();
    assert!(
        lease_id.starts_with("database/creds/readonly/"),
        "{lease_id}"
    );
    assert!(envelope.renewable);
    assert_eq!(envelope.lease_duration, 3600);
    let username = reply.data().unwrap()["username"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(role_exists(&pg, &username), "{username} not created");

    let lookup = client.lease_lookup(&lease_id).await.expect("lookup");
    assert!(lookup.renewable);
    assert!(lookup.ttl > 0 && lookup.ttl <= 3600, "{}", lookup.ttl);
    assert_eq!(lookup.last_renewal, None);

    let renewed = client
        .lease_renew(&lease_id, Some(Duration::from_secs(600)))
        .await
        .expect("renew 10m");
    assert_eq!(renewed.lease.id, lease_id);
    assert_eq!(renewed.lease.duration, Duration::from_secs(600));
    assert!(renewed.lease.renewable);
    assert!(renewed.warnings.is_empty(), "{:?}", renewed.warnings);

    // More than max_ttl: granted up to the cap, with Vault's warning.
    let capped = client
        .lease_renew(&lease_id, Some(Duration::from_secs(3 * 3600)))
        .await
        .expect("renew 3h");
    assert!(
        capped.lease.duration <= Duration::from_secs(2 * 3600)
            && capped.lease.duration > Duration::from_secs(600),
        "{:?}",
        capped.lease.duration
    );
    assert_eq!(capped.warnings.len(), 1, "{:?}", capped.warnings);
    assert!(
        capped.warnings[0].starts_with("TTL of \"3h\" exceeded the effective max_ttl of")
            && capped.warnings[0].ends_with("TTL value is capped accordingly"),
        "{:?}",
        capped.warnings
    );
    let lookup = client.lease_lookup(&lease_id).await.expect("lookup");
    assert!(lookup.last_renewal.is_some());

    assert_eq!(
        client.lease_revoke(&lease_id, true).await.expect("revoke"),
        RevokeOutcome::Revoked
    );
    assert!(!role_exists(&pg, &username), "{username} still exists");
    assert!(matches!(
        client.lease_lookup(&lease_id).await,
        Err(VaultError::InvalidRequest { .. })
    ));
    match client.lease_renew(&lease_id, None).await {
        Err(e) => assert_eq!(e.vault_errors(), ["lease not found"]),
        Ok(r) => panic!("renewed a revoked lease: {r:?}"),
    }
}
