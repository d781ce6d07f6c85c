//! The database secrets engine with PostgreSQL, as the lab uses it: the connection Vault
//! gets is tried first (vaultlab logs in with it, as Vault will), issued credentials are
//! used to log in and run `SELECT current_user`, and after revocation the old password is
//! refused and the role gone from `pg_roles`; the doctor's check that PostgreSQL answers
//! and lets Vault's user make roles. PostgreSQL's errors are said in a learner's words,
//! whether they come from vaultlab's own connection or through Vault.
//!
//! vaultlab speaks to PostgreSQL without TLS (`sslmode=disable`, as the lab's
//! connection URL does): a server on loopback, or one the learner names on a network
//! they trust.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::{Client, NoTls};

use super::{Engine, Fact, Proof, ProofLine, Refusal, Retry, Values, Verified};
use crate::checks::Check;
use crate::exchange::{Exchange, Failure};
use crate::setup::Prefill;

/// The connection form's fields, as Vault's `database/config/NAME` names the user and
/// password, and the issued credentials' fields.
pub const HOST: &str = "host";
pub const PORT: &str = "port";
pub const DATABASE: &str = "database";
pub const USERNAME: &str = "username";
pub const PASSWORD: &str = "password";

/// Long enough for a server across a network, short enough that a typo shows soon.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The database engine with PostgreSQL. `own` is the login of a PostgreSQL vaultlab
/// started itself, which the connection form starts with.
#[derive(Debug, Clone, Default)]
pub struct DatabaseEngine {
    pub own: Option<Prefill>,
}

/// Where to log in, and as whom.
struct Login<'a> {
    host: &'a str,
    port: &'a str,
    database: &'a str,
    user: &'a str,
    password: Option<&'a SecretString>,
}

impl<'a> Login<'a> {
    /// The connection form's login (the user Vault connects as).
    fn of_form(values: &'a Values) -> Self {
        Login {
            host: values.text(HOST),
            port: values.text(PORT),
            database: values.text(DATABASE),
            user: values.text(USERNAME),
            password: values.get(PASSWORD),
        }
    }

    /// Issued credentials' login, at the form's server.
    fn of_creds(creds: &'a Values, values: &'a Values) -> Self {
        Login {
            user: creds.text(USERNAME),
            password: creds.get(PASSWORD),
            ..Login::of_form(values)
        }
    }

    /// `psql` doing the same, the password left to `$PGPASSWORD` (never shown).
    fn psql(&self, sql: &str) -> String {
        format!(
            "PGPASSWORD=<password> psql -h {} -p {} -U {} -d {} -c '{sql}'",
            self.host, self.port, self.user, self.database
        )
    }

    fn place(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Logs in; the connection's task ends with the client.
    async fn connect(&self) -> Result<Client, PgError> {
        let port: u16 = self.port.parse().map_err(|_| PgError {
            code: "port".into(),
            message: format!("{:?} is not a port number", self.port),
        })?;
        let mut config = tokio_postgres::Config::new();
        config
            .host(self.host)
            .port(port)
            .dbname(self.database)
            .user(self.user)
            .application_name("vaultlab")
            .connect_timeout(CONNECT_TIMEOUT);
        if let Some(password) = self.password {
            config.password(password.expose_secret().as_bytes());
        }
        let (client, connection) = config.connect(NoTls).await.map_err(PgError::from)?;
        tokio::spawn(connection);
        Ok(client)
    }
}

/// PostgreSQL's error as the lab shows it: its SQLSTATE (or what failed before there was
/// one) and its words, never a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub code: String,
    pub message: String,
}

impl From<tokio_postgres::Error> for PgError {
    fn from(error: tokio_postgres::Error) -> Self {
        if let Some(db) = error.as_db_error() {
            return PgError {
                code: db.code().code().to_owned(),
                message: db.message().to_owned(),
            };
        }
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        PgError {
            code: "connection".into(),
            message,
        }
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code.as_str() {
            "connection" | "port" => f.write_str(&self.message),
            code => write!(f, "{} (SQLSTATE {code})", self.message),
        }
    }
}

impl PgError {
    /// PostgreSQL refused the login itself (SQLSTATE class 28: a wrong password, a role
    /// that does not exist or may not log in), rather than not being there.
    pub fn is_login_refused(&self) -> bool {
        self.code.starts_with("28")
    }

    /// The words without the names in them (`password authentication failed`, `role
    /// does not exist`): Vault's role names are long.
    fn short(&self) -> String {
        let words = self.message.split(" for user ").next().unwrap_or_default();
        let mut short = String::new();
        let mut quoted = false;
        for c in words.chars() {
            match c {
                '"' => quoted = !quoted,
                _ if !quoted => short.push(c),
                _ => {}
            }
        }
        short.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn hint(&self) -> String {
        hint(&self.message).map_or_else(
            || "Read PostgreSQL's words above; check the connection's host, port, database, user and password.".to_owned(),
            str::to_owned,
        )
    }
}

impl Engine for DatabaseEngine {
    fn prefill(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<Prefill> {
        self.own.clone().or_else(|| prefill_from_env(env))
    }

    fn hint(&self, error: &str) -> Option<String> {
        hint(error).map(str::to_owned)
    }

    /// Logs in as Vault will, and says who that is and whether it may make roles.
    fn verify(&self, values: Values) -> BoxFuture<'_, Result<Verified, Failure>> {
        async move {
            let login = Login::of_form(&values);
            let role = about_login(&login).await.map_err(|e| {
                Failure::new(
                    format!(
                        "PostgreSQL at {} did not let {} in",
                        login.place(),
                        login.user
                    ),
                    e.to_string(),
                    e.hint(),
                )
            })?;
            Ok(verified(&role))
        }
        .boxed()
    }

    /// The credentials stand for the role named in them.
    fn identify(&self, creds: Values, _values: Values) -> BoxFuture<'_, Option<String>> {
        let user = creds.text(USERNAME).to_owned();
        async move { (!user.is_empty()).then_some(user) }.boxed()
    }

    fn probe(&self, creds: Values, values: Values) -> BoxFuture<'_, Result<Exchange, Refusal>> {
        async move {
            let login = Login::of_creds(&creds, &values);
            let curl = login.psql("SELECT current_user");
            let client = login.connect().await.map_err(refusal)?;
            let row = client
                .query_one("SELECT current_user::text", &[])
                .await
                .map_err(|e| refusal(e.into()))?;
            let user: String = row.get(0);
            Ok(Exchange {
                curl,
                response: format!("current_user\n{user}\n(1 row)"),
            })
        }
        .boxed()
    }

    fn prove_revoked(
        &self,
        creds: Values,
        values: Values,
        subject: Option<String>,
    ) -> BoxFuture<'_, Proof> {
        async move {
            let login = Login::of_creds(&creds, &values);
            let attempt = login.connect().await;
            let login_result = attempt.as_ref().map(|_| ()).map_err(Clone::clone);
            let response = match &attempt {
                Ok(_) => "logged in: PostgreSQL still takes the old password".to_owned(),
                Err(e) => e.to_string(),
            };
            drop(attempt);
            let role = subject.unwrap_or_else(|| creds.text(USERNAME).to_owned());
            let exists = role_exists(&Login::of_form(&values), &role).await;
            let exchange = Exchange {
                curl: login.psql("SELECT current_user"),
                response,
            };
            proof(login_result.as_ref().copied(), exists, exchange)
        }
        .boxed()
    }

    fn doctor_checks(&self, values: Option<(Values, String)>) -> BoxFuture<'_, Vec<Check>> {
        async move {
            let Some((values, source)) = values else {
                return vec![Check::fail(
                    "no PostgreSQL named",
                    "Set PGHOST, PGPORT, PGUSER, PGPASSWORD (and PGDATABASE) for a PostgreSQL whose user may create roles, or fill in the connection form (step 2, e).",
                )];
            };
            let login = Login::of_form(&values);
            match about_login(&login).await {
                Err(e) => vec![Check::fail(
                    format!(
                        "PostgreSQL at {} as {} (from {source}): {e}",
                        login.place(),
                        login.user
                    ),
                    e.hint(),
                )],
                Ok(role) => {
                    let mut checks = vec![Check::pass(format!(
                        "PostgreSQL {} at {} lets {} in (from {source})",
                        role.version,
                        login.place(),
                        login.user
                    ))];
                    if !role.may_create_roles() {
                        checks.push(Check::fail(
                            format!("{} may not create roles", login.user),
                            "Vault makes a role for each credential: give its user CREATEROLE (ALTER ROLE … CREATEROLE), or a superuser's login.",
                        ));
                    }
                    checks
                }
            }
        }
        .boxed()
    }
}

/// What PostgreSQL says about the user Vault would connect as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AboutLogin {
    pub user: String,
    pub superuser: bool,
    pub create_role: bool,
    /// `server_version`'s number (`15.18`).
    pub version: String,
}

impl AboutLogin {
    pub fn may_create_roles(&self) -> bool {
        self.superuser || self.create_role
    }
}

async fn about_login(login: &Login<'_>) -> Result<AboutLogin, PgError> {
    let client = login.connect().await?;
    let row = client
        .query_one(
            "SELECT current_user::text, rolsuper, rolcreaterole, current_setting('server_version') \
             FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?;
    let version: String = row.get(3);
    Ok(AboutLogin {
        user: row.get(0),
        superuser: row.get(1),
        create_role: row.get(2),
        version: version
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Whether `role` is in `pg_roles`, looked up with the connection's login.
async fn role_exists(login: &Login<'_>, role: &str) -> Result<bool, PgError> {
    let client = login.connect().await?;
    let row = client
        .query_one("SELECT count(*) FROM pg_roles WHERE rolname = $1", &[&role])
        .await?;
    let count: i64 = row.get(0);
    Ok(count > 0)
}

/// What the connection's login is, in words.
pub fn verified(role: &AboutLogin) -> Verified {
    let rights = match (role.superuser, role.create_role) {
        (true, _) => "a superuser",
        (false, true) => "may create roles",
        (false, false) => "may not create roles",
    };
    let mut warnings = Vec::new();
    if !role.may_create_roles() {
        warnings.push(format!(
            "{} may not create roles, and Vault makes one for each credential: give it CREATEROLE, or use a superuser's login.",
            role.user
        ));
    }
    Verified {
        facts: vec![Fact {
            label: "PostgreSQL says".into(),
            short: "PostgreSQL".into(),
            value: format!(
                "PostgreSQL {}, logged in as {} ({rights})",
                role.version, role.user
            ),
        }],
        warnings,
    }
}

/// One look at revoked credentials, in words: the old password refused (`login`: `Ok`
/// when PostgreSQL let it in), and the role gone from `pg_roles`. A PostgreSQL that does
/// not answer proves nothing either way, and is said to be down, not the login alive.
pub fn proof(
    login: Result<(), &PgError>,
    exists: Result<bool, PgError>,
    exchange: Exchange,
) -> Proof {
    let gone = matches!(exists, Ok(false));
    let refused = login.err().filter(|e| e.is_login_refused());
    let unanswered = login.err().filter(|e| !e.is_login_refused());
    let lines = vec![
        match login {
            Err(e) if e.is_login_refused() => ProofLine {
                ok: true,
                text: format!("Login with the old password: refused ({})", e.short()),
            },
            Err(e) => ProofLine {
                ok: false,
                text: format!("Login with the old password could not be tried: {e}"),
            },
            Ok(()) => ProofLine {
                ok: false,
                text: "Login with the old password still works: Vault revokes in the background"
                    .into(),
            },
        },
        match &exists {
            Ok(false) => ProofLine {
                ok: true,
                text: "The role Vault made is gone from pg_roles".into(),
            },
            Ok(true) => ProofLine {
                ok: false,
                text: "The role is still in pg_roles".into(),
            },
            Err(e) => ProofLine {
                ok: false,
                text: format!("pg_roles could not be read with the connection's login: {e}"),
            },
        },
    ];
    let still_alive = match unanswered {
        Some(e) => Failure::new(
            "PostgreSQL did not answer: the revocation could not be checked",
            e.to_string(),
            "Vault revokes in the background, and it too needs PostgreSQL: once PostgreSQL is back, look up the lease (vault lease lookup) and try logging in with the old password.",
        ),
        None => Failure::new(
            "The revoked login still works",
            "PostgreSQL still takes the old password, or the role is still there.",
            "Vault revokes in the background: look up the lease, or check Vault's log for a revocation error.",
        ),
    };
    Proof {
        summary: format!(
            "old login refused: {} · role gone: {}",
            match (refused, unanswered) {
                (Some(e), _) => e.short(),
                (None, Some(_)) => "not known, PostgreSQL did not answer".to_owned(),
                (None, None) => "no".to_owned(),
            },
            match &exists {
                Ok(false) => "yes",
                Ok(true) => "no",
                Err(_) => "not known",
            }
        ),
        dead: refused.is_some() && gone,
        lines,
        exchange,
        still_alive,
    }
}

/// A failed login or query with issued credentials, in words. PostgreSQL knows a role
/// as soon as Vault's transaction commits, so only a server still starting up is worth
/// waiting for.
pub fn refusal(e: PgError) -> Refusal {
    let retry = match e.code.as_str() {
        // cannot_connect_now: the server is starting up.
        "57P03" => Retry::NotYet,
        // too_many_connections.
        "53300" => Retry::Throttled,
        _ => Retry::No,
    };
    let waiting = match retry {
        Retry::Throttled => format!(
            "Waiting: PostgreSQL has no connection to spare ({}). vaultlab tries again.",
            e.message
        ),
        _ => format!(
            "Waiting: PostgreSQL is not ready yet ({}). vaultlab tries again.",
            e.message
        ),
    };
    let what = if e.code == "connection" {
        "No answer from PostgreSQL".to_owned()
    } else {
        format!("PostgreSQL refused: {}", e.short())
    };
    Refusal {
        // insufficient_privilege: the role logged in, but may not do this.
        denied: e.code == "42501",
        failure: Failure::new(
            what,
            e.to_string(),
            format!("{} Enter tries again.", e.hint()),
        ),
        // No SQLSTATE without a server: named as the AWS engine names no answer.
        code: match e.code.as_str() {
            "connection" => "Unreachable".to_owned(),
            code => code.to_owned(),
        },
        message: e.message.clone(),
        retry,
        waiting,
    }
}

/// The connection form from libpq's own variables, as `psql` would connect: PGHOST,
/// PGPORT, PGDATABASE, PGUSER, PGPASSWORD. Nothing when none of host, user and password
/// is set (the lab's defaults stand).
pub fn prefill_from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<Prefill> {
    if ["PGHOST", "PGUSER", "PGPASSWORD"]
        .iter()
        .all(|name| env(name).is_none())
    {
        return None;
    }
    let mut values = Values::default();
    for (field, variable) in [
        (HOST, "PGHOST"),
        (PORT, "PGPORT"),
        (DATABASE, "PGDATABASE"),
        (USERNAME, "PGUSER"),
        (PASSWORD, "PGPASSWORD"),
    ] {
        if let Some(value) = env(variable) {
            values.insert(field, SecretString::from(value));
        }
    }
    Some(Prefill {
        values,
        source: "the PG* environment variables".to_owned(),
    })
}

/// What a learner can do about a PostgreSQL error, whoever passes it on (vaultlab's own
/// connection, or Vault's answer to writing the connection, the role or the credentials).
pub fn hint(error: &str) -> Option<&'static str> {
    let text = error.to_lowercase();
    let has = |words: &str| text.contains(words);
    Some(if has("is not an allowed role") {
        "The connection's allowed_roles does not name this role: write the connection again (step 2) with allowed_roles naming it."
    } else if has("unknown role") {
        "Vault has no such role yet: write it first (step 3)."
    } else if has("failed to execute query") && has("syntax error") {
        "PostgreSQL could not read the role's creation statements: fix them in step 3. Vault puts each role's name, password and expiry where {{name}}, {{password}} and {{expiration}} are, then runs them."
    } else if has("failed to execute query") && has("role") && has("does not exist") {
        "A statement in step 3 names a role PostgreSQL does not have (in a GRANT?): create that role first, or take it out of the statements."
    } else if has("permission denied") || has("must have createrole") {
        "The user Vault connects as may not do this: give it CREATEROLE (and the rights it grants on), or connect Vault as a superuser."
    } else if has("password authentication failed") {
        "PostgreSQL does not take that user with that password. For the connection, check both (e edits them); a role Vault made stops working once its lease is revoked or runs out: generate new credentials."
    } else if has("is not permitted to log in") {
        "The role cannot log in: its creation statements need LOGIN (step 3)."
    } else if has("role") && has("does not exist") {
        "PostgreSQL has no role by that name: a role Vault made is dropped when its lease is revoked or runs out; for the connection, check the user name."
    } else if has("database") && has("does not exist") {
        "PostgreSQL has no database by that name: check the connection's database (step 2)."
    } else if has("no pg_hba.conf entry") {
        "PostgreSQL's pg_hba.conf does not let this user in from here: add a host line for it and reload PostgreSQL."
    } else if has("connection refused") {
        "Nothing answers at that host and port: is PostgreSQL running there? Vault connects from where Vault runs, so 127.0.0.1 is Vault's own machine."
    } else if has("the database system is starting up") {
        "PostgreSQL is still starting: wait a moment and try again."
    } else if has("timeout") || has("timed out") {
        "PostgreSQL did not answer in time: check the host, the port and any firewall on the way."
    } else if has("not a port number") {
        "The port is a number, 5432 unless the server was set up otherwise: e edits it."
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, message: &str) -> PgError {
        PgError {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn postgresql_errors_get_a_learners_words_through_vault_too() {
        for (said, expect) in [
            (
                "error creating database object: error verifying connection: failed to connect to `user=postgres database=postgres`: 127.0.0.1:15432 (127.0.0.1): failed SASL auth: FATAL: password authentication failed for user \"postgres\" (SQLSTATE 28P01)",
                "does not take that user with that password",
            ),
            (
                "dial error: dial tcp 127.0.0.1:15499: connect: connection refused",
                "Nothing answers at that host and port",
            ),
            (
                "1 error occurred: * failed to execute query: ERROR: role \"nosuchrole\" does not exist (SQLSTATE 42704)",
                "names a role PostgreSQL does not have",
            ),
            (
                "failed to execute query: ERROR: syntax error at or near \"-\" (SQLSTATE 42601)",
                "could not read the role's creation statements",
            ),
            (
                "role \"v-token-my-role-x\" does not exist",
                "is dropped when its lease",
            ),
            ("\"my-role\" is not an allowed role", "allowed_roles"),
            ("unknown role: my-role", "write it first"),
            (
                "database \"nope\" does not exist",
                "no database by that name",
            ),
        ] {
            let hint = hint(said).unwrap_or_else(|| panic!("no hint for {said}"));
            assert!(hint.contains(expect), "{said}: {hint}");
        }
        assert_eq!(hint("Vault is sealed"), None);
    }

    #[test]
    fn only_a_refused_login_proves_revocation_and_the_role_must_be_gone() {
        let refused = error("28P01", "password authentication failed for user \"v-x\"");
        assert!(refused.is_login_refused());
        assert!(
            !error(
                "connection",
                "error connecting to server: Connection refused"
            )
            .is_login_refused()
        );
        let dead = proof(Err(&refused), Ok(false), Exchange::default());
        assert!(dead.dead);
        assert_eq!(
            dead.summary,
            "old login refused: password authentication failed · role gone: yes"
        );
        assert_eq!(
            dead.lines[0].text,
            "Login with the old password: refused (password authentication failed)"
        );
        assert!(!proof(Err(&refused), Ok(true), Exchange::default()).dead);
        let dropped = error(
            "28000",
            "role \"v-token-my-role-x-1700000000\" does not exist",
        );
        assert_eq!(
            proof(Err(&dropped), Ok(false), Exchange::default()).summary,
            "old login refused: role does not exist · role gone: yes"
        );
        assert!(!proof(Ok(()), Ok(false), Exchange::default()).dead);
        let unread = proof(
            Err(&refused),
            Err(error("connection", "down")),
            Exchange::default(),
        );
        assert!(!unread.dead);
        assert!(!unread.lines[1].ok);
    }

    #[test]
    fn a_postgresql_that_does_not_answer_proves_nothing_and_is_not_called_a_live_login() {
        let down = error(
            "connection",
            "error connecting to server: Connection refused (os error 111)",
        );
        let looked = proof(Err(&down), Err(down.clone()), Exchange::default());
        assert!(!looked.dead);
        assert!(
            !looked.lines[0].text.contains("still works"),
            "{}",
            looked.lines[0].text
        );
        assert!(looked.lines[0].text.contains("Connection refused"));
        assert_eq!(
            looked.summary,
            "old login refused: not known, PostgreSQL did not answer · role gone: not known"
        );
        assert!(
            looked
                .still_alive
                .what
                .contains("PostgreSQL did not answer"),
            "{}",
            looked.still_alive.what
        );
        let alive = proof(Ok(()), Ok(true), Exchange::default());
        assert!(alive.lines[0].text.contains("still works"));
        assert_eq!(alive.still_alive.what, "The revoked login still works");
    }

    #[test]
    fn refusals_wait_only_for_a_server_starting_up() {
        let starting = refusal(error("57P03", "the database system is starting up"));
        assert_eq!(starting.retry, Retry::NotYet);
        let wrong = refusal(error(
            "28P01",
            "password authentication failed for user \"v-x\"",
        ));
        assert_eq!(wrong.retry, Retry::No);
        assert_eq!(
            wrong.failure.what,
            "PostgreSQL refused: password authentication failed"
        );
        assert!(wrong.failure.hint.ends_with("Enter tries again."));
        assert!(refusal(error("42501", "permission denied for table t")).denied);
        let unanswered = refusal(error(
            "connection",
            "error connecting to server: Connection refused",
        ));
        assert_eq!(unanswered.failure.what, "No answer from PostgreSQL");
        // The probe pane's heading: a word of the app's, not the engine's inner tag.
        assert_eq!(unanswered.code, "Unreachable");
        assert_eq!(wrong.code, "28P01");
    }

    #[test]
    fn the_form_starts_from_libpqs_variables_when_they_name_a_server() {
        let env = |name: &str| match name {
            "PGHOST" => Some("db.example".to_owned()),
            "PGPASSWORD" => Some("s3cret".to_owned()),
            _ => None,
        };
        let prefill = prefill_from_env(&env).expect("a prefill");
        assert_eq!(prefill.values.text(HOST), "db.example");
        assert_eq!(prefill.values.text(PASSWORD), "s3cret");
        assert!(
            prefill.values.get(PORT).is_none(),
            "the lab's default stands"
        );
        assert!(!format!("{prefill:?}").contains("s3cret"));
        assert!(prefill_from_env(&|_: &str| None).is_none());
    }

    #[test]
    fn a_login_that_may_not_create_roles_is_warned_about() {
        let about = AboutLogin {
            user: "app".into(),
            superuser: false,
            create_role: false,
            version: "15.18".into(),
        };
        let verified = verified(&about);
        assert_eq!(verified.warnings.len(), 1);
        assert_eq!(
            verified.facts[0].value,
            "PostgreSQL 15.18, logged in as app (may not create roles)"
        );
        let admin = AboutLogin {
            superuser: true,
            ..about
        };
        assert!(self::verified(&admin).warnings.is_empty());
    }
}
