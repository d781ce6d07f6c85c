//! `vaultlab join URL CODE [--name NAME] --env`: takes a seat in a room and prints the
//! export lines the real CLIs need, so the lab's commands run verbatim with `vault`/`bao`
//! and `aws` in the seat's namespace and AWS account.
//!
//! The seat's secret is kept (mode 0600, in vaultlab's data directory, one file per room
//! and seat name), so running the same command again gets the same seat back and nobody
//! else can take it by its name. Nothing is written unless a seat was given.
//! Without --env, the lab's TUI opens in the seat (`join_tui`); with --walk, the lab's
//! steps run headless in it (`join_walk`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::args::JoinArgs;
use super::error::UserError;
use super::{Outcome, runtime};
use crate::lease::journal;
use vaultlab_wire::private_file;

/// What is kept of a seat: where, which, and its secret (written to a 0600 file only).
#[derive(Serialize, Deserialize)]
struct KeptSeat {
    url: String,
    name: String,
    #[serde(
        serialize_with = "expose_for_the_file",
        deserialize_with = "secret_from_the_file"
    )]
    seat_secret: SecretString,
}

fn expose_for_the_file<S: serde::Serializer>(
    secret: &SecretString,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

fn secret_from_the_file<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

fn refuse(message: impl Into<String>) -> super::Stop {
    UserError::Room(message.into()).into()
}

pub fn run(args: JoinArgs) -> Outcome {
    if args.walk {
        return super::join_walk::run(args);
    }
    if !args.env {
        return super::join_tui::run(args);
    }
    let url = room_url(&args.url)?;
    let name = seat_name(args.name.clone())?;
    runtime()?.block_on(async {
        let seat = take_seat(&url, &args.code, &name).await?;
        let namespace = seat.namespace.trim_end_matches('/').to_owned();
        let lines = [
            ("VAULT_ADDR", url.clone()),
            ("VAULT_TOKEN", seat.vault_token.expose_secret().to_owned()),
            ("VAULT_NAMESPACE", namespace),
            ("AWS_ENDPOINT_URL", url.clone()),
            ("AWS_ACCESS_KEY_ID", seat.aws_access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY",
                seat.aws_secret_access_key.expose_secret().to_owned(),
            ),
            ("AWS_REGION", seat.region.clone()),
            ("AWS_DEFAULT_REGION", seat.region.clone()),
        ];
        for (key, value) in lines {
            println!("export {key}={}", shell_quote(&value));
        }
        println!(
            "# seat {name} in room {:?}{}; the seat's secret is kept in {}",
            seat.title,
            if seat.rejoined { " (rejoined)" } else { "" },
            seat.kept_path.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// A seat taken (or taken back): where, and what it works with.
pub struct TakenSeat {
    pub title: String,
    pub name: String,
    /// `room/<name>/`.
    pub namespace: String,
    pub vault_token: SecretString,
    pub aws_access_key_id: String,
    pub aws_secret_access_key: SecretString,
    pub region: String,
    pub rejoined: bool,
    /// Where the seat's secret is kept.
    pub kept_path: PathBuf,
}

/// --name, else the user's name.
pub(super) fn seat_name(given: Option<String>) -> Result<String, super::Stop> {
    match given {
        Some(name) => Ok(name),
        None => default_name().ok_or_else(|| refuse("name the seat with --name NAME")),
    }
}

/// Takes seat `name` in the room at `url` (a checked `room_url`), or takes it back with
/// the secret kept from an earlier join; keeps a new seat's secret (mode 0600). A refusal
/// is one line in the room's words; nothing is written unless a seat was given.
pub(super) async fn take_seat(url: &str, code: &str, name: &str) -> Result<TakenSeat, super::Stop> {
    let kept_path = kept_path(url, name)?;
    let kept: Option<KeptSeat> = std::fs::read(&kept_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let mut body = json!({"code": code, "name": name});
    if let Some(kept) = &kept {
        body["seat_secret"] = json!(kept.seat_secret.expose_secret());
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| refuse(format!("cannot make an HTTP client: {e}")))?;
    let response = http
        .post(format!("{url}/vaultlab/room/join"))
        .json(&body)
        .send()
        .await
        .map_err(|e| refuse(format!("no room answers at {url}: {e}")))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let why = answer["errors"][0]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{url} answered {status}: is it a vaultlab room?"));
        return Err(refuse(format!("no seat in the room at {url}: {why}")));
    }
    let field = |key: &str| -> Result<String, super::Stop> {
        answer[key].as_str().map(str::to_owned).ok_or_else(|| {
            refuse(format!(
                "{url} answered without {key}: is it a vaultlab room?"
            ))
        })
    };
    let rejoined = answer["rejoined"] == json!(true);
    // Every field checked before anything is kept: a broken answer writes nothing.
    let seat = TakenSeat {
        title: answer["title"].as_str().unwrap_or("").to_owned(),
        name: name.to_owned(),
        namespace: field("namespace")?,
        vault_token: SecretString::from(field("vault_token")?),
        aws_access_key_id: field("aws_access_key_id")?,
        aws_secret_access_key: SecretString::from(field("aws_secret_access_key")?),
        region: field("region")?,
        rejoined,
        kept_path,
    };
    if !rejoined {
        let keep = KeptSeat {
            url: url.to_owned(),
            name: name.to_owned(),
            seat_secret: SecretString::from(field("seat_secret")?),
        };
        if let Some(dir) = seat.kept_path.parent() {
            private_file::create_private_dir(dir)?;
        }
        private_file::write_private(
            &seat.kept_path,
            &serde_json::to_vec_pretty(&keep).expect("serializes"),
        )?;
    }
    Ok(seat)
}

/// The room's address, checked: `http(s)://host[:port]`, without a trailing slash.
pub(super) fn room_url(text: &str) -> Result<String, super::Stop> {
    let parsed = reqwest::Url::parse(text.trim()).map_err(|e| {
        refuse(format!(
            "{text:?} is not a room's address ({e}); it looks like http://10.1.2.3:8200"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(refuse(format!(
            "{text:?} is not a room's address; it looks like http://10.1.2.3:8200"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn default_name() -> Option<String> {
    let user = std::env::var("USER").ok()?;
    let name: String = user
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    (!name.is_empty()).then_some(name)
}

/// `<data dir>/seats/<room address>-<name>.json`.
fn kept_path(url: &str, name: &str) -> Result<PathBuf, super::Stop> {
    let dir = journal::data_dir(|key| std::env::var(key).ok())
        .ok_or_else(|| refuse("no HOME or XDG_DATA_HOME to keep the seat's secret in"))?;
    let room: String = url
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(dir.join("seats").join(format!("{room}-{name}.json")))
}

/// Single quotes, as a POSIX shell reads them.
fn shell_quote(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/:.-_@%+=,".contains(c))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_address_is_an_http_url() {
        assert_eq!(
            room_url("http://10.1.2.3:8200/").unwrap(),
            "http://10.1.2.3:8200"
        );
        for bad in ["10.1.2.3:8200", "ftp://x", "not a url", "http://"] {
            assert!(room_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("room/ada"), "room/ada");
        assert_eq!(shell_quote("a b'c"), r"'a b'\''c'");
    }
}
