//! The room: the sandbox with seats, for a workshop. Each seat is a Vault namespace
//! (`room/<name>/`) with a token whose policy reaches that namespace only, and an AWS
//! account of its own whose admin keys are the seat's "root keys". A learner takes a seat
//! with the room's join code and a name, and gets back the seat's secret, which alone
//! gives the same seat back later (`http` serves this under `/vaultlab/room`).
//!
//! Seats and the room's settings are kept in the Vault side's state, so they survive a
//! restart with `--state`. The join code and the seat tokens are secrets; a seat's secret
//! is kept only as its SHA-256.

pub mod control;
pub mod hold;
pub mod http;
pub mod http_control;
pub mod limiter;
pub mod progress;
pub mod tracker;

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aws::AwsEndpoint;
use crate::events::{Detail, Events, RoomChange, RoomChangeKind};
use crate::vault::VaultServer;
use crate::vault::namespace::NsRef;
use crate::vault::username::random_base62;
use vaultlab_wire::secret::PersistedSecret;

/// The parent namespace of every seat.
pub const ROOM_NAMESPACE: &str = "room/";
/// The most seats a room may be given.
pub const MAX_SEATS: usize = 1000;
/// How long a seat's token lasts: 768h, as Vault gives a service token made without a TTL
/// (the system's default lease TTL, itself capped by the max, both 768h by default). Its
/// leases go with it when it ends, so it outlives any workshop: a room restarted the next
/// day keeps every seat's leases counting down until they end or the room ends.
pub const SEAT_TOKEN_TTL: i64 = crate::vault::tokens::MAX_TOKEN_TTL;
/// What a seat's token may do: everything in its own namespace, nothing anywhere else
/// (policy paths are relative to the namespace they are written in).
/// Locking its namespace is denied: the learner could lock themself out with a key they
/// then lose, and only the facilitator's raw API could open it again.
pub const SEAT_POLICY: &str = r#"# A room seat: the whole lab in its own namespace, nothing outside it.
path "*" {
  capabilities = ["create", "read", "update", "delete", "list", "patch", "scan", "sudo"]
}

path "sys/namespaces/api-lock/*" {
  capabilities = ["deny"]
}
"#;

/// A seat's policy once the room has ended: nothing at all (its notices still answer: they
/// are the room's, not Vault's).
pub const ENDED_SEAT_POLICY: &str = r#"# A room seat after the room ended: nothing.
path "*" {
  capabilities = ["deny"]
}
"#;

/// The room's settings, kept with the state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoomConfig {
    pub title: String,
    pub join_code: PersistedSecret,
    pub max_seats: usize,
    pub opened: DateTime<Utc>,
    /// The facilitator's message to every learner.
    #[serde(default)]
    pub broadcast: Option<vaultlab_wire::room::Broadcast>,
    /// Steps after this one are held.
    #[serde(default)]
    pub pace: Option<u8>,
    /// When the facilitator ended the room: no more joins.
    #[serde(default)]
    pub ended: Option<DateTime<Utc>>,
    /// "Short leases for all": every seat's `aws` mount gets this `config/lease`, those
    /// mounted afterwards as they are mounted. The last call's values replace it.
    #[serde(default)]
    pub short_leases: Option<ShortLeases>,
}

/// A room-wide `config/lease`, in seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct ShortLeases {
    pub ttl: i64,
    pub max_ttl: i64,
}

/// One seat, kept with the state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Seat {
    pub name: String,
    /// `room/<name>/`.
    pub namespace: String,
    pub account: String,
    /// SHA-256 (hex) of the seat's secret.
    pub secret_hash: String,
    pub token: PersistedSecret,
    pub joined: DateTime<Utc>,
}

/// What a learner gets for a seat (the keys and token included: this goes to the learner
/// only).
#[derive(Debug, Clone, Serialize)]
pub struct SeatGrant {
    pub title: String,
    pub seat: String,
    pub namespace: String,
    pub vault_token: String,
    pub seat_secret: String,
    pub account_id: String,
    pub aws_access_key_id: String,
    pub aws_secret_access_key: String,
    pub region: String,
    pub rejoined: bool,
}

/// Why a seat was not given, in words for the learner.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JoinRefusal {
    #[error("wrong join code: ask the facilitator for the code on the screen")]
    WrongCode,
    #[error("too many wrong join codes; try again in {0} s")]
    TooManyGuesses(u64),
    #[error("the room is full ({0} seats)")]
    Full(usize),
    #[error("seat {0:?} is taken; rejoining it needs the seat secret kept when it was taken")]
    Taken(String),
    #[error(
        "a seat name is 1 to 32 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit"
    )]
    BadName,
    #[error("this sandbox is not a room")]
    NoRoom,
    #[error("the room has ended")]
    Ended,
    #[error("the seat could not be made: {0}")]
    Failed(String),
}

/// A new join code: `XXXX-XXXX` from letters and digits that do not look alike (40 bits).
pub fn new_join_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(ALPHABET[rand::random_range(0..ALPHABET.len())] as char);
    }
    code
}

/// The code as typed: case and the dash do not matter.
fn normalized_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Compares in time that depends on the lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn valid_seat_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The room at run time: its Vault and AWS sides, the guess limiter, and a lock that
/// makes joins one at a time (so two learners cannot take the last seat or one name).
#[derive(Clone)]
pub struct Room {
    vault: VaultServer,
    aws: AwsEndpoint,
    limiter: Arc<Mutex<limiter::Limiter>>,
    joining: Arc<tokio::sync::Mutex<()>>,
    /// The sandbox's region, for a seat's AWS settings.
    region: String,
    events: Events,
    /// What learners' long polls wait on (see `tracker`).
    notices: tracker::Notices,
}

impl Room {
    /// The room of this sandbox: opened with `title` and `max_seats` the first time (a new
    /// join code is made), as it was kept afterwards.
    pub fn open(
        vault: VaultServer,
        aws: AwsEndpoint,
        events: Events,
        region: &str,
        title: &str,
        max_seats: usize,
    ) -> Self {
        vault.update_state(|state| {
            if state.room.is_none() {
                state.room = Some(RoomConfig {
                    title: title.to_owned(),
                    join_code: PersistedSecret::new(new_join_code()),
                    max_seats: max_seats.clamp(1, MAX_SEATS),
                    opened: Utc::now(),
                    broadcast: None,
                    pace: None,
                    ended: None,
                    short_leases: None,
                });
            }
        });
        let pace = vault.read_state(|state| state.room.as_ref().and_then(|r| r.pace));
        Self::serving(vault, aws, events, region, pace)
    }

    /// A sandbox's room, if it has one (it was opened once, and kept).
    pub fn existing(
        vault: VaultServer,
        aws: AwsEndpoint,
        events: Events,
        region: &str,
    ) -> Option<Self> {
        let pace = vault.read_state(|state| state.room.as_ref().map(|r| r.pace))?;
        Some(Self::serving(vault, aws, events, region, pace))
    }

    /// The room over its kept state: the AWS side told the pace, orphan accounts gone.
    fn serving(
        vault: VaultServer,
        aws: AwsEndpoint,
        events: Events,
        region: &str,
        pace: Option<u8>,
    ) -> Self {
        aws.set_pace(pace);
        let room = Self {
            vault,
            aws,
            limiter: Arc::default(),
            joining: Arc::default(),
            region: region.to_owned(),
            events,
            notices: tracker::Notices::default(),
        };
        room.remove_orphan_accounts();
        room.lengthen_seat_tokens();
        room
    }

    /// Seat tokens kept by a vaultlab that gave them a day: given [`SEAT_TOKEN_TTL`] from
    /// when they were made, since a token's end now takes its seat's leases along (a
    /// rejoined seat keeps its token while it lives).
    fn lengthen_seat_tokens(&self) {
        let short: Vec<String> = self.vault.read_state(|state| {
            state
                .seats
                .values()
                .map(|seat| crate::vault::tokens::key(seat.token.expose()))
                .filter(|key| {
                    state
                        .tokens
                        .get(key)
                        .is_some_and(|t| t.ttl > 0 && t.ttl < SEAT_TOKEN_TTL)
                })
                .collect()
        });
        if short.is_empty() {
            return;
        }
        self.vault.update_state(|state| {
            for key in short {
                let Some(mut token) = state.tokens.get(&key).cloned() else {
                    continue;
                };
                let full = token.created + chrono::Duration::seconds(SEAT_TOKEN_TTL);
                token.ttl = SEAT_TOKEN_TTL;
                token.expire_time = token.expire_time.max(Some(full));
                state.insert_token(key, token);
            }
        });
    }

    /// Deletes the accounts of seats that were never kept: a join that stopped (the
    /// process killed) between making the seat's AWS account and keeping the seat. Nobody
    /// got their keys (a seat's answer leaves only once the seat is kept), so nothing is
    /// lost; without this they would stay, unseen by the room and its end.
    fn remove_orphan_accounts(&self) {
        let seated: std::collections::HashSet<String> = self
            .vault
            .read_state(|state| state.seats.values().map(|s| s.namespace.clone()).collect());
        for (account, namespace) in self.aws.account_namespaces() {
            let Some(namespace) = namespace else { continue };
            if namespace.starts_with(ROOM_NAMESPACE) && !seated.contains(&namespace) {
                let users = self.aws.delete_account(&account);
                tracing::warn!(
                    account,
                    namespace,
                    users = users.len(),
                    "removed the AWS account of a seat that was never kept (a join cut short)"
                );
            }
        }
    }

    pub fn config(&self) -> RoomConfig {
        self.vault
            .read_state(|state| state.room.clone())
            .expect("a room has its config")
    }

    pub fn seats(&self) -> Vec<Seat> {
        self.vault
            .read_state(|state| state.seats.values().cloned().collect())
    }

    /// Takes seat `name` with the room's `code`, or gives it back to whoever has its
    /// `secret`. `from` is the asking address (wrong codes are counted per address).
    pub async fn join(
        &self,
        code: &str,
        name: &str,
        secret: Option<&str>,
        from: std::net::IpAddr,
    ) -> Result<SeatGrant, JoinRefusal> {
        let now = std::time::Instant::now();
        let config = self
            .vault
            .read_state(|state| state.room.clone())
            .ok_or(JoinRefusal::NoRoom)?;
        {
            let mut limiter = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(wait) = limiter.check(from, now) {
                return Err(JoinRefusal::TooManyGuesses(wait.as_secs().max(1)));
            }
            let wanted = normalized_code(config.join_code.expose());
            if !same(normalized_code(code).as_bytes(), wanted.as_bytes()) {
                limiter.failed(from, now);
                return Err(JoinRefusal::WrongCode);
            }
        }
        if config.ended.is_some() {
            return Err(JoinRefusal::Ended);
        }
        if !valid_seat_name(name) {
            return Err(JoinRefusal::BadName);
        }
        let _one_at_a_time = self.joining.lock().await;
        let existing = self
            .vault
            .read_state(|state| state.seats.get(name).cloned());
        if let Some(seat) = existing {
            let given = secret.map(hash).unwrap_or_default();
            if !same(given.as_bytes(), seat.secret_hash.as_bytes()) {
                return Err(JoinRefusal::Taken(name.to_owned()));
            }
            let seat = self.with_live_token(seat).await?;
            let grant = self.grant(&config, &seat, secret.unwrap_or_default(), true)?;
            self.tell(
                &seat.namespace,
                RoomChangeKind::Rejoined,
                Some(&seat.name),
                None,
            );
            return Ok(grant);
        }
        let taken = self.vault.read_state(|state| state.seats.len());
        if taken >= config.max_seats {
            return Err(JoinRefusal::Full(config.max_seats));
        }
        let (seat, secret) = self.make_seat(name).await?;
        let grant = self.grant(&config, &seat, &secret, false)?;
        self.tell(
            &seat.namespace,
            RoomChangeKind::Joined,
            Some(&seat.name),
            None,
        );
        Ok(grant)
    }

    /// Tells the event stream what happened in the room.
    fn tell(
        &self,
        namespace: &str,
        change: RoomChangeKind,
        seat: Option<&str>,
        detail: Option<String>,
    ) {
        self.events.emit(Detail::Room(RoomChange {
            namespace: namespace.to_owned(),
            change,
            seat: seat.map(str::to_owned),
            detail,
        }));
    }

    async fn make_seat(&self, name: &str) -> Result<(Seat, String), JoinRefusal> {
        let failed = |e: String| JoinRefusal::Failed(e);
        let path = format!("{ROOM_NAMESPACE}{name}/");
        let ns: NsRef = self.vault.ensure_namespace(&path).map_err(failed)?;
        self.vault
            .put_policy(&ns, "seat", SEAT_POLICY)
            .map_err(failed)?;
        let token = self.vault.issue_token(&ns, &["seat"], SEAT_TOKEN_TTL, name);
        let keys = self
            .aws
            .create_account(Some(path.clone()))
            .map_err(failed)?;
        let secret = random_base62(32);
        let seat = Seat {
            name: name.to_owned(),
            namespace: path,
            account: keys.account_id,
            secret_hash: hash(&secret),
            token: PersistedSecret::new(token),
            joined: Utc::now(),
        };
        self.vault.update_state(|state| {
            state.seats.insert(name.to_owned(), seat.clone());
        });
        // The seat is kept before its secret leaves.
        self.vault.kept_now().await.map_err(failed)?;
        Ok((seat, secret))
    }

    /// The seat, with a new token if its own has expired (a workshop longer than
    /// [`SEAT_TOKEN_TTL`], or a room restarted weeks later).
    async fn with_live_token(&self, mut seat: Seat) -> Result<Seat, JoinRefusal> {
        if self.vault.token_in(seat.token.expose(), &seat.namespace) {
            return Ok(seat);
        }
        let ns = self
            .vault
            .ensure_namespace(&seat.namespace)
            .map_err(JoinRefusal::Failed)?;
        let token = self
            .vault
            .issue_token(&ns, &["seat"], SEAT_TOKEN_TTL, &seat.name);
        seat.token = PersistedSecret::new(token);
        self.vault.update_state(|state| {
            state.seats.insert(seat.name.clone(), seat.clone());
        });
        self.vault.kept_now().await.map_err(JoinRefusal::Failed)?;
        Ok(seat)
    }

    fn grant(
        &self,
        config: &RoomConfig,
        seat: &Seat,
        secret: &str,
        rejoined: bool,
    ) -> Result<SeatGrant, JoinRefusal> {
        let keys = self
            .aws
            .account_admin_credentials(&seat.account)
            .ok_or_else(|| {
                JoinRefusal::Failed(format!("the seat's AWS account {} is gone", seat.account))
            })?;
        Ok(SeatGrant {
            title: config.title.clone(),
            seat: seat.name.clone(),
            namespace: seat.namespace.clone(),
            vault_token: seat.token.expose().to_owned(),
            seat_secret: secret.to_owned(),
            account_id: seat.account.clone(),
            aws_access_key_id: keys.access_key_id,
            aws_secret_access_key: keys.secret_access_key.expose().to_owned(),
            region: self.region.clone(),
            rejoined,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::clock::ManualClock;

    /// A Vault and an AWS endpoint on a clock the test moves; nothing answers behind the
    /// engine's IAM calls.
    fn servers_on(clock: &ManualClock) -> (VaultServer, AwsEndpoint) {
        let (vault, aws) = servers();
        (vault.with_clock(Arc::new(clock.clone())), aws)
    }

    /// The same on the system's clock.
    fn servers() -> (VaultServer, AwsEndpoint) {
        use crate::vault::{VaultOptions, VaultState};
        let notifier = Arc::new(tokio::sync::Notify::new());
        let vault = VaultServer::new(
            VaultState::new(),
            VaultOptions {
                default_aws_endpoint: "http://127.0.0.1:9".into(),
                default_region: "us-east-1".into(),
            },
            notifier.clone(),
        );
        let aws = AwsEndpoint::new(
            crate::aws::AwsState::new_account(),
            crate::aws::AwsOptions::default(),
            notifier,
        );
        (vault, aws)
    }

    #[test]
    fn join_codes_read_aloud_and_compare_loosely() {
        let code = new_join_code();
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert_eq!(
            normalized_code(&code.to_lowercase()),
            normalized_code(&code)
        );
        assert_eq!(normalized_code("k7qf 92xd"), "K7QF92XD");
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }

    #[test]
    fn seat_names_are_short_and_plain() {
        for good in ["ada", "bob-2", "x_1", "9lives"] {
            assert!(valid_seat_name(good), "{good}");
        }
        for bad in [
            "",
            "Ada",
            "a b",
            "-ada",
            "a/b",
            &"a".repeat(33),
            "root/x",
            "ada.",
        ] {
            assert!(!valid_seat_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn rejoining_after_the_seat_token_expired_gives_a_new_one() {
        let clock = ManualClock::new(Utc::now());
        let (vault, aws) = servers_on(&clock);
        let room = Room::open(vault.clone(), aws, Events::default(), "us-east-1", "t", 5);
        let code = room.config().join_code.expose().to_owned();
        let here = std::net::IpAddr::from([127, 0, 0, 1]);
        let first = room.join(&code, "ada", None, here).await.unwrap();
        let again = room
            .join(&code, "ada", Some(&first.seat_secret), here)
            .await
            .unwrap();
        assert_eq!(
            again.vault_token, first.vault_token,
            "still alive: the same"
        );
        clock.advance(chrono::Duration::seconds(SEAT_TOKEN_TTL + 1));
        assert!(!vault.token_in(&first.vault_token, "room/ada/"));
        let later = room
            .join(&code, "ada", Some(&first.seat_secret), here)
            .await
            .unwrap();
        assert_ne!(later.vault_token, first.vault_token);
        assert!(vault.token_in(&later.vault_token, "room/ada/"));
        assert_eq!(later.aws_access_key_id, first.aws_access_key_id);
    }

    /// A room restarted the next day: the seat's token still lives, so its leases keep
    /// counting down; and the dashboard never counts a lease down past its token's end
    /// (the token takes it along then).
    #[tokio::test]
    async fn a_seats_token_outlives_the_day_and_caps_its_leases_countdown() {
        use crate::vault::Lease;
        let start = Utc::now();
        let clock = ManualClock::new(start);
        let (vault, aws) = servers_on(&clock);
        let room = Room::open(vault.clone(), aws, Events::default(), "us-east-1", "t", 5);
        let code = room.config().join_code.expose().to_owned();
        let here = std::net::IpAddr::from([127, 0, 0, 1]);
        let ada = room.join(&code, "ada", None, here).await.unwrap();
        clock.advance(chrono::Duration::hours(25));
        assert!(
            vault.token_in(&ada.vault_token, "room/ada/"),
            "the seat's token lives on the next day"
        );
        let issued = start + chrono::Duration::hours(25);
        vault.update_state(|state| {
            state.leases.insert(
                "room/ada/aws/creds/r/x".into(),
                Lease {
                    id: "aws/creds/r/x".into(),
                    namespace: "room/ada/".into(),
                    mount: "room/ada/aws/".into(),
                    role: "r".into(),
                    username: "vault-x".into(),
                    token: Some(crate::vault::tokens::key(&ada.vault_token)),
                    issue_time: issued,
                    expire_time: issued + chrono::Duration::hours(768),
                    last_renewal: None,
                    renewable: true,
                    revoke_attempts: 0,
                    revoke_at: None,
                    revoke_error: None,
                    irrevocable: false,
                    revocation_asked: false,
                },
            );
        });
        let status = room.status().await;
        let token_ends = start + chrono::Duration::seconds(SEAT_TOKEN_TTL);
        assert_eq!(status.seats[0].leases[0].expires_at, token_ends);
    }

    /// A room kept by a vaultlab that gave seat tokens a day, restarted: the seat's
    /// token lives on the next day (its end would take the seat's leases along).
    #[tokio::test]
    async fn a_seat_token_kept_with_a_day_to_live_gets_the_seats_whole_ttl_on_restart() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        let (vault, aws) = servers_on(&clock);
        let room = Room::open(
            vault.clone(),
            aws.clone(),
            Events::default(),
            "us-east-1",
            "t",
            5,
        );
        let code = room.config().join_code.expose().to_owned();
        let here = std::net::IpAddr::from([127, 0, 0, 1]);
        let ada = room.join(&code, "ada", None, here).await.unwrap();
        // As the previous vaultlab kept it.
        let key = crate::vault::tokens::key(&ada.vault_token);
        vault.update_state(|state| {
            let mut token = state.tokens.get(&key).cloned().unwrap();
            token.ttl = 24 * 3600;
            token.expire_time = Some(token.created + chrono::Duration::hours(24));
            state.insert_token(key.clone(), token);
        });

        let room = Room::existing(vault.clone(), aws, Events::default(), "us-east-1").unwrap();
        clock.advance(chrono::Duration::hours(25));
        assert!(
            vault.token_in(&ada.vault_token, "room/ada/"),
            "the seat's token kept with a day to live ended the next day"
        );
        let again = room
            .join(&code, "ada", Some(&ada.seat_secret), here)
            .await
            .unwrap();
        assert_eq!(again.vault_token, ada.vault_token);
    }

    /// A room restarted with due leases: their revocations' events come before the
    /// tracker, and the room then stays quiet. Its status must not wait for events the
    /// tracker will never see (the dashboard asks every few seconds); nor once the
    /// tracker has stopped.
    #[tokio::test]
    async fn a_quiet_room_answers_its_status_at_once_whatever_came_before_its_tracker() {
        use futures::FutureExt;
        let (vault, aws) = servers();
        let events = Events::default();
        let happened = || {
            events.emit(Detail::Room(RoomChange {
                namespace: "room/".into(),
                change: RoomChangeKind::Broadcast,
                seat: None,
                detail: None,
            }))
        };
        happened();
        let room = Room::open(vault, aws, events.clone(), "us-east-1", "t", 5);
        room.start_tracking();
        assert!(
            room.status().now_or_never().is_some(),
            "the status waited for an event from before the tracker"
        );
        room.stop_tracking().await;
        happened();
        assert!(
            room.status().now_or_never().is_some(),
            "the status waited for a tracker that has stopped"
        );
    }

    #[tokio::test]
    async fn an_account_made_for_a_seat_never_kept_is_removed_when_the_room_opens() {
        let (vault, aws) = servers();
        let room = Room::open(
            vault.clone(),
            aws.clone(),
            Events::default(),
            "us-east-1",
            "t",
            5,
        );
        let code = room.config().join_code.expose().to_owned();
        let ada = room
            .join(&code, "ada", None, std::net::IpAddr::from([127, 0, 0, 1]))
            .await
            .unwrap();
        // A join cut short: the account made, the seat not.
        let ghost = aws.create_account(Some("room/ghost/".into())).unwrap();
        let other = aws.create_account(None).unwrap();
        Room::existing(vault, aws.clone(), Events::default(), "us-east-1").unwrap();
        let left: Vec<String> = aws
            .account_namespaces()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert!(left.contains(&ada.account_id));
        assert!(left.contains(&other.account_id), "not a seat's: left alone");
        assert!(!left.contains(&ghost.account_id));
    }

    #[test]
    fn the_seat_policy_reads() {
        use crate::vault::acl::Acl;
        use crate::vault::http::Operation;
        let policy = crate::vault::acl::Policy::new("seat", SEAT_POLICY).unwrap();
        let acl = Acl::new([&policy]);
        assert!(acl.allows("aws/creds/my-role", Operation::Read, false));
        assert!(acl.allows("sys/namespaces/team", Operation::Patch, false));
        assert!(acl.allows("sys/namespaces", Operation::Scan, false));
        assert!(!acl.allows("sys/namespaces/api-lock/lock", Operation::Update, true));
        assert!(!acl.allows(
            "sys/namespaces/api-lock/unlock/team",
            Operation::Update,
            true
        ));
        let ended = crate::vault::acl::Policy::new("seat", ENDED_SEAT_POLICY).unwrap();
        assert_eq!(ended.rules.len(), 1);
    }
}
