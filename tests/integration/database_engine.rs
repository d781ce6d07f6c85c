//! The database engine against a real OpenBao dev server and a real PostgreSQL with
//! password authentication: the connection tried before Vault gets it, a login Vault
//! issues used with SELECT current_user, and after revocation the old password refused
//! and the role gone. PostgreSQL's errors, from vaultlab's connection or through Vault,
//! come with the engine's words.

use vaultlab_testkit as common;

use common::{Bao, Postgres};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use vaultlab::checks::Verdict;
use vaultlab::engines::database::{self, DatabaseEngine};
use vaultlab::engines::{Engine, Values, explain};
use vaultlab::vault::refusal::VaultRefusal;
use vaultlab::vault::types::RevokeOutcome;
use vaultlab::vault::{VaultClient, VaultConfig};

const SUPERUSER_PASSWORD: &str = "pg-superuser-Secret-4711";
const CREATION: &str = include_str!("../../labs/dynamic-db-postgres/creation/read-only.sql");

fn client_for(bao: &Bao) -> VaultClient {
    let token = SecretString::from(common::BAO_ROOT_TOKEN.to_owned());
    VaultClient::new(VaultConfig::new(&bao.url(), Some(token)).expect("config")).expect("client")
}

/// The connection form as the lab fills it in.
fn form(pg: &Postgres, password: &str) -> Values {
    form_at(pg.port, password)
}

fn form_at(port: u16, password: &str) -> Values {
    let value = |text: &str| SecretString::from(text.to_owned());
    Values::default()
        .with(database::HOST, value("127.0.0.1"))
        .with(database::PORT, value(&port.to_string()))
        .with(database::DATABASE, value("postgres"))
        .with(database::USERNAME, value("postgres"))
        .with(database::PASSWORD, value(password))
}

fn connection(pg: &Postgres, password: &str) -> serde_json::Value {
    json!({
        "plugin_name": "postgresql-database-plugin",
        "connection_url": format!(
            "postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{}/postgres?sslmode=disable",
            pg.port
        ),
        "username": "postgres",
        "password": password,
        "allowed_roles": "my-role",
    })
}

#[tokio::test]
async fn a_login_vault_issues_works_and_after_revocation_is_refused_and_its_role_gone() {
    let pg = Postgres::with_password(SUPERUSER_PASSWORD);
    let bao = Bao::dev();
    let vault = client_for(&bao);
    let engine = DatabaseEngine::default();
    let values = form(&pg, SUPERUSER_PASSWORD);

    // The connection, tried as Vault will try it.
    let verified = engine
        .verify(values.clone())
        .await
        .expect("the superuser logs in");
    assert!(
        verified.facts[0]
            .value
            .contains("logged in as postgres (a superuser)"),
        "{:?}",
        verified.facts
    );
    assert!(verified.warnings.is_empty());
    let checks = engine
        .doctor_checks(Some((values.clone(), "the test".to_owned())))
        .await;
    assert!(
        checks.iter().all(|c| c.verdict == Verdict::Pass),
        "{checks:?}"
    );

    vault
        .enable_mount("database", "database")
        .await
        .expect("enable");
    vault
        .write("database/config/pg", connection(&pg, SUPERUSER_PASSWORD))
        .await
        .expect("connection");
    vault
        .write(
            "database/roles/my-role",
            json!({"db_name": "pg", "creation_statements": CREATION, "default_ttl": "1h"}),
        )
        .await
        .expect("role");
    let reply = vault.read("database/creds/my-role").await.expect("creds");
    let data = reply.data().expect("data");
    let username = data["username"].as_str().unwrap().to_owned();
    let password = data["password"].as_str().unwrap().to_owned();
    let lease_id = reply.envelope.as_ref().unwrap().lease_id.clone();
    let creds = Values::default()
        .with(database::USERNAME, SecretString::from(username.clone()))
        .with(database::PASSWORD, SecretString::from(password.clone()));
    assert_eq!(
        engine.identify(creds.clone(), values.clone()).await,
        Some(username.clone())
    );

    let exchange = engine
        .probe(creds.clone(), values.clone())
        .await
        .expect("the new login works");
    assert!(exchange.response.contains(&username), "{exchange:?}");
    assert!(exchange.curl.contains(&format!("-U {username}")));
    assert!(
        !exchange.curl.contains(&password),
        "the password is never shown"
    );

    // A wrong password is PostgreSQL's refusal, in words, not worth waiting for.
    let wrong = Values::default()
        .with(database::USERNAME, SecretString::from(username.clone()))
        .with(database::PASSWORD, SecretString::from("not-it".to_owned()));
    let refusal = engine.probe(wrong, values.clone()).await.unwrap_err();
    assert_eq!(
        refusal.failure.what,
        "PostgreSQL refused: password authentication failed"
    );
    assert_eq!(refusal.code, "28P01");
    assert!(
        refusal
            .failure
            .hint
            .contains("does not take that user with that password")
    );

    // Alive: the proof says so, line by line.
    let alive = engine
        .prove_revoked(creds.clone(), values.clone(), Some(username.clone()))
        .await;
    assert!(!alive.dead, "{alive:?}");
    assert!(alive.lines.iter().all(|line| !line.ok), "{alive:?}");

    assert_eq!(
        vault.lease_revoke(&lease_id, true).await.expect("revoke"),
        RevokeOutcome::Revoked
    );
    let dead = engine
        .prove_revoked(creds.clone(), values.clone(), Some(username.clone()))
        .await;
    assert!(dead.dead, "{dead:?}");
    assert!(
        dead.summary.starts_with("old login refused: "),
        "{}",
        dead.summary
    );
    assert!(
        dead.summary.ends_with(" · role gone: yes"),
        "{}",
        dead.summary
    );
    assert_eq!(
        pg.query(&format!(
            "select count(*) from pg_roles where rolname = '{username}'"
        )),
        "0"
    );
}

#[tokio::test]
async fn a_wrong_connection_is_refused_before_vault_and_by_vault_in_the_same_words() {
    let pg = Postgres::with_password(SUPERUSER_PASSWORD);
    let bao = Bao::dev();
    let vault = client_for(&bao);
    let engine = DatabaseEngine::default();

    let failure = engine
        .verify(form(&pg, "wrong-password"))
        .await
        .expect_err("a wrong password is refused");
    assert_eq!(
        failure.what,
        format!(
            "PostgreSQL at 127.0.0.1:{} did not let postgres in",
            pg.port
        )
    );
    assert!(
        failure.detail.contains("password authentication failed"),
        "{failure:?}"
    );
    assert!(
        failure
            .hint
            .contains("does not take that user with that password")
    );
    assert!(!format!("{failure:?}").contains("wrong-password"));

    // Vault tries the connection too, and says PostgreSQL's words: the engine's hint is
    // put on its refusal.
    vault
        .enable_mount("database", "database")
        .await
        .expect("enable");
    let error = vault
        .write("database/config/pg", connection(&pg, "wrong-password"))
        .await
        .expect_err("Vault refuses a connection it cannot make");
    let refusal = explain(&engine, VaultRefusal::from(&error));
    assert!(
        refusal.message.contains("password authentication failed"),
        "{refusal:?}"
    );
    assert!(
        refusal
            .hint
            .contains("does not take that user with that password")
    );

    // Nothing listens: the port is free, since PostgreSQL is stopped.
    let port = pg.port;
    drop(pg);
    let gone = form_at(port, SUPERUSER_PASSWORD);
    let checks = engine
        .doctor_checks(Some((gone, "the test".to_owned())))
        .await;
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].verdict, Verdict::Fail);
    assert!(
        checks[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("Nothing answers at that host and port"),
        "{checks:?}"
    );
    let none = engine.doctor_checks(None).await;
    assert_eq!(none[0].what, "no PostgreSQL named");
}

#[tokio::test]
async fn a_login_that_may_not_create_roles_is_a_warning_then_a_failure_of_the_doctor() {
    let pg = Postgres::with_password(SUPERUSER_PASSWORD);
    pg.query("CREATE ROLE app LOGIN PASSWORD 'app-password'");
    let engine = DatabaseEngine::default();
    let mut values = form(&pg, "app-password");
    values.insert(database::USERNAME, SecretString::from("app".to_owned()));
    let verified = engine.verify(values.clone()).await.expect("app logs in");
    assert_eq!(verified.warnings.len(), 1, "{verified:?}");
    assert!(verified.warnings[0].contains("may not create roles"));
    let checks = engine
        .doctor_checks(Some((values, "the test".to_owned())))
        .await;
    assert_eq!(checks[1].verdict, Verdict::Fail, "{checks:?}");
    assert_eq!(checks[1].what, "app may not create roles");
    // The prefill of an engine with servers of its own is theirs, whatever the environment.
    let own = DatabaseEngine {
        own: Some(vaultlab::setup::Prefill {
            values: form(&pg, SUPERUSER_PASSWORD),
            source: "the PostgreSQL vaultlab started".to_owned(),
        }),
    };
    let prefill = own
        .prefill(&|name: &str| (name == "PGHOST").then(|| "elsewhere".to_owned()))
        .expect("prefill");
    assert_eq!(prefill.values.text(database::HOST), "127.0.0.1");
    assert_eq!(
        prefill
            .values
            .get(database::PASSWORD)
            .unwrap()
            .expose_secret(),
        SUPERUSER_PASSWORD
    );
}
