//! A PostgreSQL of the lab's own: a fresh cluster (`initdb`) whose superuser `postgres`
//! logs in with a password vaultlab made (SCRAM, as a real server would ask), listening
//! on a loopback port only (no Unix socket), run as the `postgres` user when vaultlab
//! runs as root. Its log never holds a statement: a failed `CREATE ROLE … PASSWORD` is
//! logged by its error alone (`log_min_error_statement=panic`).

use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::process::{Managed, free_port};
use super::programs::PostgresPrograms;
use super::{Exit, LocalError, Shared};

/// The superuser initdb makes.
pub const SUPERUSER: &str = "postgres";
/// The database every cluster starts with.
pub const DATABASE: &str = "postgres";

/// A running PostgreSQL.
#[derive(Debug, Clone)]
pub struct LocalPostgres {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: SecretString,
    pub database: String,
    /// `PostgreSQL 15.18`.
    pub version: String,
}

/// Runs `command` as `user` (uid, gid) when given.
fn as_user(command: &mut std::process::Command, user: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
}

fn chown(path: &Path, user: Option<(u32, u32)>) -> Result<(), LocalError> {
    match user {
        Some((uid, gid)) => std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(|e| LocalError::io("give PostgreSQL its directory", e)),
        None => Ok(()),
    }
}

pub async fn start(
    programs: &PostgresPrograms,
    user: Option<(u32, u32)>,
    dir: &Path,
    shared: &Shared,
) -> Result<LocalPostgres, LocalError> {
    let home = dir.join("postgres");
    std::fs::create_dir(&home).map_err(|e| LocalError::io("make PostgreSQL's directory", e))?;
    chown(&home, user)?;
    let data = home.join("data");
    let password = uuid::Uuid::new_v4().simple().to_string();
    initdb(programs, user, &home, &data, &password).await?;

    let log = home.join("server.log");
    let what = format!("PostgreSQL ({})", programs.postgres.display());
    for _ in 0..5 {
        let port = free_port(false).map_err(|e| LocalError::io("find a free port", e))?;
        let mut command = std::process::Command::new(&programs.postgres);
        command.arg("-D").arg(&data).arg("-p").arg(port.to_string());
        for setting in [
            "listen_addresses=127.0.0.1",
            "unix_socket_directories=",
            // A throwaway cluster: nothing to keep safe across a crash.
            "fsync=off",
            "log_min_error_statement=panic",
        ] {
            command.args(["-c", setting]);
        }
        as_user(&mut command, user);
        // SIGINT is PostgreSQL's fast shutdown: sessions ended, then a clean stop.
        let server = Managed::spawn("PostgreSQL", command, &log, false, libc::SIGINT)
            .map_err(|e| LocalError::start(&what, e.to_string()))?;
        let index = shared.adopt(server);
        let password = SecretString::from(password.clone());
        match wait_ready(port, &password, shared, index).await {
            Ok(version) => {
                return Ok(LocalPostgres {
                    host: "127.0.0.1".to_owned(),
                    port,
                    user: SUPERUSER.to_owned(),
                    password,
                    database: DATABASE.to_owned(),
                    version: format!("PostgreSQL {version}"),
                });
            }
            Err(Exit::PortTaken) => continue,
            Err(Exit::Failed(reason)) => {
                return Err(LocalError::start(&what, reason));
            }
        }
    }
    Err(LocalError::start(
        &what,
        "five ports in a row were taken by the time it started".to_owned(),
    ))
}

/// A new cluster in `data`, its superuser's password read from a file that is removed
/// right after (a command line would show it to `ps`).
async fn initdb(
    programs: &PostgresPrograms,
    user: Option<(u32, u32)>,
    home: &Path,
    data: &Path,
    password: &str,
) -> Result<(), LocalError> {
    let password_file = home.join("superuser-password");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&password_file)
            .map_err(|e| LocalError::io("write PostgreSQL's password file", e))?;
        writeln!(file, "{password}")
            .map_err(|e| LocalError::io("write PostgreSQL's password file", e))?;
    }
    chown(&password_file, user)?;
    let mut command = std::process::Command::new(&programs.initdb);
    command
        .arg("-D")
        .arg(data)
        .args(["-U", SUPERUSER, "--auth=scram-sha-256", "--no-sync"])
        .args(["--encoding=UTF8", "--locale=C"])
        .arg(format!("--pwfile={}", password_file.display()));
    as_user(&mut command, user);
    let mut command = tokio::process::Command::from(command);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let output = command.output().await;
    let _ = std::fs::remove_file(&password_file);
    let what = format!("PostgreSQL's initdb ({})", programs.initdb.display());
    let output = output.map_err(|e| LocalError::start(&what, e.to_string()))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
        return Err(LocalError::start(
            &what,
            format!(
                "it failed ({}): {}",
                output.status,
                lines[lines.len().saturating_sub(3)..].join(" | ")
            ),
        ));
    }
    Ok(())
}

/// Waits until the superuser can log in over TCP; returns the server's version.
async fn wait_ready(
    port: u16,
    password: &SecretString,
    shared: &Shared,
    index: usize,
) -> Result<String, Exit> {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user(SUPERUSER)
        .dbname(DATABASE)
        .password(password.expose_secret().as_bytes())
        .connect_timeout(Duration::from_secs(2));
    let silent = format!("it did not let its superuser in on port {port}");
    shared
        .wait_ready(index, "Address already in use", &silent, async || {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.ok()?;
            tokio::spawn(connection);
            let version = client
                .query_one("SELECT current_setting('server_version')", &[])
                .await
                .map(|row| row.get::<_, String>(0))
                .unwrap_or_default();
            Some(version.split_whitespace().next().unwrap_or("").to_owned())
        })
        .await
}
