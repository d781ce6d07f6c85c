//! Renewable leases for real: OpenBao's database engine issuing PostgreSQL roles, driven by
//! the typed client. OpenBao has no AWS engine, and its built-in engines that need no outside
//! service issue leases that cannot be renewed, so this is where `lease_renew` (and the
//! max-TTL cap warning the lab shows) meets a real server. PostgreSQL (Debian's
//! `postgresql` package) runs on a free port from a throwaway data directory.

use vaultlab_testkit as common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{PeerProcess, free_port, peer_program, wait_for_port};
use secrecy::SecretString;
use serde_json::json;
use vaultlab::vault::types::RevokeOutcome;
use vaultlab::vault::{VaultClient, VaultConfig, VaultError};

const ROOT_TOKEN: &str = "vaultlab-test-root";
const PG_HINT: &str = "install PostgreSQL (`apt-get install postgresql`)";

/// A PostgreSQL program: on PATH, else in Debian's versioned directory.
fn pg_program(name: &str) -> PathBuf {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .map(|v| v.join("bin").join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("PostgreSQL's `{name}` not found: {PG_HINT}"))
}

fn output_of(command: &mut Command) -> String {
    let output = command.output().expect("run command");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// PostgreSQL refuses to run as root: as root, run it as the `postgres` user.
fn pg_user() -> Option<(u32, u32)> {
    if output_of(Command::new("id").arg("-u")) != "0" {
        return None;
    }
    let uid = output_of(Command::new("id").args(["-u", "postgres"]));
    let gid = output_of(Command::new("id").args(["-g", "postgres"]));
    Some((uid.parse().unwrap(), gid.parse().unwrap()))
}

fn pg_command(program: &str, user: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(pg_program(program));
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
    command
}

/// A throwaway PostgreSQL with trust authentication, stopped (fast shutdown) on drop.
struct Postgres {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Postgres {
    fn start() -> Postgres {
        let user = pg_user();
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        output_of(
            pg_command("initdb", user)
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(&data),
        );
        let port = free_port();
        let mut child = pg_command("postgres", user)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start postgres: {e}; {PG_HINT}"));
        wait_for_port(port, "postgres", &mut child);
        Postgres {
            child,
            port,
            _dir: dir,
        }
    }

    /// One value from a query, through `psql`.
    fn query(&self, sql: &str) -> String {
        output_of(
            Command::new(pg_program("psql"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", "postgres", "-d", "postgres", "-tA", "-c", sql]),
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// `bao server -dev` on a free port (and port + 1, its cluster port), killed on drop.
struct Bao {
    process: PeerProcess,
    _home: tempfile::TempDir,
}

impl Bao {
    async fn dev() -> Bao {
        let port = loop {
            let port = free_port();
            if std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
                break port;
            }
        };
        let home = tempfile::tempdir().expect("temp home");
        let mut child = Command::new(peer_program("bao"))
            .args([
                "server",
                "-dev",
                "-dev-no-store-token",
                &format!("-dev-root-token-id={ROOT_TOKEN}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
            ])
            .env("HOME", home.path())
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bao");
        wait_for_port(port, "bao server", &mut child);
        let bao = Bao {
            process: PeerProcess { child, port },
            _home: home,
        };
        let client = bao.client();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !matches!(client.health().await, Ok(h) if h.status == 200) {
            assert!(Instant::now() < deadline, "bao not active within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bao
    }

    fn client(&self) -> VaultClient {
        let config = VaultConfig::new(
            &self.process.url(),
            Some(SecretString::from(ROOT_TOKEN.to_owned())),
        )
        .expect("config");
        VaultClient::new(config).expect("client")
    }
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
    let bao = Bao::dev().await;
    let client = bao.client();
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
