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
use crate::tls_pin::{Pin, pin_mismatch};
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
    /// The room's certificate pin (an https:// room), so a rejoin trusts it alone too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pin: Option<String>,
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
    let name = seat_name(args.name.clone())?;
    let room = room_addr(&args.url, args.pin.as_deref(), &name)?;
    let url = room.url.clone();
    runtime()?.block_on(async {
        let seat = take_seat(&room, &args.code, &name).await?;
        let namespace = seat.namespace.trim_end_matches('/').to_owned();
        let mut lines = vec![
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
        // The real CLIs trust the room's certificate through their own variables.
        if let Some(cert) = &seat.certificate_path {
            let cert = cert.to_string_lossy().into_owned();
            lines.push(("VAULT_CACERT", cert.clone()));
            lines.push(("AWS_CA_BUNDLE", cert));
        }
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
    /// The room's certificate (PEM) beside it, for an https:// room.
    pub certificate_path: Option<PathBuf>,
}

/// A room's address, checked, and the certificate pin an https:// one is trusted by.
#[derive(Debug, Clone)]
pub struct RoomAddr {
    /// `http(s)://host[:port]`, without a trailing slash.
    pub url: String,
    pub pin: Option<Pin>,
}

impl RoomAddr {
    /// An HTTP client for the room: trusting its pinned certificate alone, if it has one;
    /// refused, in one line, when a proxy setting is not a URL.
    pub fn http(&self) -> Result<reqwest::ClientBuilder, UserError> {
        Pin::http_builder(self.pin.as_ref()).map_err(|e| UserError::Room(e.to_string()))
    }
}

/// The room named on the command line: its address, and for an https:// one the pin
/// given with --pin, else the one kept from an earlier join of seat `name`. An https://
/// room without a pin is refused: nothing would say its certificate is the room's.
pub(super) fn room_addr(url: &str, pin: Option<&str>, name: &str) -> Result<RoomAddr, super::Stop> {
    let url = room_url(url)?;
    let pin = pin
        .map(Pin::parse)
        .transpose()
        .map_err(|why| refuse(format!("--pin {why}")))?;
    if !url.starts_with("https://") {
        if pin.is_some() {
            return Err(refuse(format!(
                "--pin is for a room served over https://, and {url} is not: use the room's join line as it is"
            )));
        }
        return Ok(RoomAddr { url, pin: None });
    }
    let pin = match pin {
        Some(pin) => pin,
        None => kept_seat(&kept_path(&url, name)?)
            .and_then(|kept| kept.pin)
            .and_then(|pin| Pin::parse(&pin).ok())
            .ok_or_else(|| {
                refuse(format!(
                    "{url} is served over TLS with its own certificate: use the room's whole join line, --pin and all (vaultlab join {url} CODE --pin …), so vaultlab knows the certificate is the room's"
                ))
            })?,
    };
    Ok(RoomAddr {
        url,
        pin: Some(pin),
    })
}

fn kept_seat(path: &std::path::Path) -> Option<KeptSeat> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

/// A certificate as PEM, as `VAULT_CACERT` and `AWS_CA_BUNDLE` read it.
fn pem(der: &[u8]) -> String {
    let base64 = data_encoding::BASE64.encode(der);
    let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in base64.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    text
}

/// --name, else the user's name.
pub(super) fn seat_name(given: Option<String>) -> Result<String, super::Stop> {
    match given {
        Some(name) => Ok(name),
        None => default_name().ok_or_else(|| refuse("name the seat with --name NAME")),
    }
}

/// Takes seat `name` in `room`, or takes it back with the secret kept from an earlier
/// join; keeps a new seat's secret (mode 0600) and, for an https:// room, its pin and its
/// certificate beside it. A refusal is one line in the room's words; nothing is written
/// unless a seat was given.
pub(super) async fn take_seat(
    room: &RoomAddr,
    code: &str,
    name: &str,
) -> Result<TakenSeat, super::Stop> {
    let url = room.url.as_str();
    let kept_path = kept_path(url, name)?;
    let kept = kept_seat(&kept_path);
    let mut body = json!({"code": code, "name": name});
    if let Some(kept) = &kept {
        body["seat_secret"] = json!(kept.seat_secret.expose_secret());
    }
    let http = room
        .http()?
        .timeout(Duration::from_secs(15))
        .tls_info(room.pin.is_some())
        .build()
        .map_err(|e| refuse(format!("cannot make an HTTP client: {e}")))?;
    let response = http
        .post(format!("{url}/vaultlab/room/join"))
        .json(&body)
        .send()
        .await
        .map_err(|e| match pin_mismatch(&e) {
            Some(mismatch) => refuse(mismatch.to_string()),
            None => refuse(format!("no room answers at {url}: {e}")),
        })?;
    let certificate = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec);
    if room.pin.is_some() && certificate.is_none() {
        return Err(refuse(format!(
            "the room at {url} answered without showing its certificate"
        )));
    }
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
    let pin = room.pin.as_ref().map(ToString::to_string);
    let certificate_path = certificate
        .as_ref()
        .map(|_| kept_path.with_extension("cert.pem"));
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
        certificate_path,
    };
    let keep = match kept {
        Some(kept) if rejoined => (kept.pin != pin).then_some(KeptSeat { pin, ..kept }),
        _ => Some(KeptSeat {
            url: url.to_owned(),
            name: name.to_owned(),
            seat_secret: SecretString::from(field("seat_secret")?),
            pin,
        }),
    };
    if (keep.is_some() || certificate.is_some())
        && let Some(dir) = seat.kept_path.parent()
    {
        private_file::create_private_dir(dir)?;
    }
    if let Some(keep) = keep {
        private_file::write_private(
            &seat.kept_path,
            &serde_json::to_vec_pretty(&keep).expect("serializes"),
        )?;
    }
    if let (Some(der), Some(path)) = (&certificate, &seat.certificate_path) {
        private_file::write_private(path, pem(der).as_bytes())?;
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

/// `<data dir>/seats/<room's host and port>-<name>.json`: not by scheme, so a room
/// restarted with or without `--tls` gives its learners their seats back.
fn kept_path(url: &str, name: &str) -> Result<PathBuf, super::Stop> {
    let dir = journal::data_dir(|key| std::env::var(key).ok())
        .ok_or_else(|| refuse("no HOME or XDG_DATA_HOME to keep the seat's secret in"))?;
    let place = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let room: String = place
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
    fn an_https_room_needs_its_pin_and_an_http_one_takes_none() {
        let pin = "ABCD-EFGH-2345-JKLM";
        let room = room_addr("https://10.1.2.3:8200/", Some(pin), "ada").unwrap();
        assert_eq!(room.url, "https://10.1.2.3:8200");
        assert_eq!(room.pin.unwrap().to_string(), pin);
        let unpinned = room_addr("https://10.9.9.9:8200", None, "nobody-has-this-seat");
        let Err(super::super::Stop::User(error)) = unpinned else {
            panic!("an https room without a pin was taken");
        };
        assert!(
            error.to_string().contains("use the room's whole join line"),
            "{error}"
        );
        assert!(room_addr("http://10.1.2.3:8200", Some(pin), "ada").is_err());
        assert!(room_addr("https://10.1.2.3:8200", Some("nope"), "ada").is_err());
    }

    #[test]
    fn a_certificate_is_written_as_pem() {
        let text = pem(&[0u8; 100]);
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(text.ends_with("\n-----END CERTIFICATE-----\n"));
        assert!(
            text.lines()
                .all(|line| line.len() <= 64 || line.starts_with("-----"))
        );
    }

    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("room/ada"), "room/ada");
        assert_eq!(shell_quote("a b'c"), r"'a b'\''c'");
    }
}
