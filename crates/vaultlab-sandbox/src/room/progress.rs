//! A seat's progress through the lab, derived on the server from what happens in the
//! seat's namespace and AWS account, so a learner using the real `bao`/`aws` CLIs
//! progresses as one using the TUI does. The six steps (as in the AWS lab):
//!
//! 1. an `aws` engine mounted · 2. its `config/root` written · 3. a role written
//! 4. credentials issued (a lease under `…/creds/`) · 5. an `ec2:DescribeInstances`
//!    signed by a dynamic (engine-made) key of the seat's account succeeded
//! 6. a lease revoked, then a request signed by its key refused
//!
//! Steps 1–3 are read from the namespace's state (whatever path wrote it); 4–6 from the
//! event stream. A step once done stays done. Kept with the state, as the seat's log is
//! (one row per entry, so the log grows the state file's log by one entry's size).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vaultlab_wire::room::{SeatError, SeatLogEntry, StepProgress};

use crate::events::{
    AwsCall, Detail, Event, KeyKind, LeaseChange, LeaseChangeKind, Origin, Purpose, VaultCall,
};
use crate::vault::state::Mount;

/// The lab's steps.
pub const STEPS: usize = 6;
/// The most entries a seat's log keeps (the oldest go first).
pub const MAX_LOG: u64 = 200;
/// The most errors a seat keeps for the room's report.
pub const MAX_ERRORS: usize = 20;
/// The most IAM users of revoked leases remembered, for step 6.
const MAX_REVOKED_USERS: usize = 32;

/// One seat's progress, kept with the state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SeatProgress {
    /// When each step was first done; index 0 = step 1.
    #[serde(default)]
    pub steps: [Option<DateTime<Utc>>; STEPS],
    #[serde(default)]
    pub last_activity: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<SeatError>,
    /// The last [`MAX_ERRORS`] errors, oldest first.
    #[serde(default)]
    pub errors: Vec<SeatError>,
    #[serde(default)]
    pub leases_issued: usize,
    #[serde(default)]
    pub leases_revoked: usize,
    /// IAM users whose lease was revoked (or expired): a refusal of their key is step 6.
    #[serde(default)]
    pub revoked_users: Vec<String>,
    /// The seat's log holds entries `log_first..log_next` (see [`log_key`]).
    #[serde(default)]
    pub log_first: u64,
    #[serde(default)]
    pub log_next: u64,
}

/// The key of a seat's log entry `n` in the state's log table.
pub fn log_key(seat: &str, n: u64) -> String {
    format!("{seat}/{n:016}")
}

/// The seat a namespace belongs to: `room/ada/` and anything below it are `ada`'s.
pub fn seat_of(namespace: &str) -> Option<&str> {
    let rest = namespace.strip_prefix(super::ROOM_NAMESPACE)?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// What one event did to a seat.
#[derive(Debug, Default, PartialEq)]
pub struct Observed {
    /// The entry for the seat's log.
    pub entry: Option<SeatLogEntry>,
    /// A step was done for the first time.
    pub step_done: bool,
    /// The namespace's state may have changed (steps 1–3 are worth reading again).
    pub wrote: bool,
}

impl SeatProgress {
    pub fn step_list(&self) -> Vec<StepProgress> {
        self.steps
            .iter()
            .zip(1..)
            .map(|(done_at, step)| StepProgress {
                step,
                done_at: *done_at,
            })
            .collect()
    }

    /// Marks step `n` (1-based) done at `at`, unless it was already; whether it is new.
    fn done(&mut self, n: usize, at: DateTime<Utc>) -> bool {
        let slot = &mut self.steps[n - 1];
        if slot.is_some() {
            return false;
        }
        *slot = Some(at);
        true
    }

    fn error(&mut self, error: SeatError) {
        if self.errors.len() == MAX_ERRORS {
            self.errors.remove(0);
        }
        self.errors.push(error.clone());
        self.last_error = Some(error);
    }

    /// Undoes the steps after `pace` that were not done `before`: the hold refuses the
    /// requests that make them, but a step can come about another way (disabling the
    /// engine revokes its leases; a short lease expires), and a held step is not done.
    /// Whether any was undone.
    pub fn unmark_held(&mut self, before: &[Option<DateTime<Utc>>; STEPS], pace: u8) -> bool {
        let mut undone = false;
        let held = usize::from(pace).min(STEPS);
        for (now, was) in self.steps.iter_mut().zip(before).skip(held) {
            if was.is_none() && now.is_some() {
                *now = None;
                undone = true;
            }
        }
        undone
    }

    /// Steps 1–3 from the seat namespace's mount table (`mounts`: the namespace's own).
    pub fn observe_mounts<'a>(
        &mut self,
        mounts: impl Iterator<Item = &'a Mount>,
        at: DateTime<Utc>,
    ) -> bool {
        let mut new = false;
        for mount in mounts.filter(|m| m.mount_type == "aws") {
            new |= self.done(1, at);
            if let Some(engine) = &mount.aws {
                if engine.root.is_some() {
                    new |= self.done(2, at);
                }
                if !engine.roles.is_empty() {
                    new |= self.done(3, at);
                }
            }
        }
        new
    }

    /// Takes in one event of the seat's.
    pub fn observe(&mut self, event: &Event) -> Observed {
        match &event.detail {
            Detail::Vault(call) => self.vault(call, event.time),
            Detail::Aws(call) => self.aws(call, event.time),
            Detail::Lease(change) => self.lease(change, event.time),
            Detail::Room(_) => Observed::default(),
        }
    }

    fn vault(&mut self, call: &VaultCall, at: DateTime<Utc>) -> Observed {
        let path = format!("/v1/{}", call.path);
        let reading = matches!(call.method.as_str(), "GET" | "LIST" | "HEAD");
        // The lab's TUI reads its leases every 2 s by itself (a lookup is a PUT): that is
        // not the learner doing anything, and must not hide a learner who is stuck.
        let polling = reading || call.path.starts_with("sys/leases/lookup");
        if !polling {
            self.last_activity = Some(at);
        }
        // A read of something not there is how clients look before they write; a step
        // the facilitator holds is the room's doing, not a mistake (its log shows it).
        let held = call.error.as_deref().is_some_and(super::hold::is_hold);
        let failed = call.status >= 400 && !(reading && call.status == 404) && !held;
        if failed {
            self.error(SeatError {
                at,
                what: format!("{} {path}", call.method),
                status: call.status,
                message: one_line(call.error.as_deref().unwrap_or("")),
            });
        }
        Observed {
            entry: Some(SeatLogEntry {
                at,
                kind: "vault".into(),
                method: call.method.clone(),
                path,
                status: call.status,
                error: call.error.as_deref().map(one_line),
            }),
            step_done: false,
            wrote: !reading && call.status < 400,
        }
    }

    fn aws(&mut self, call: &AwsCall, at: DateTime<Utc>) -> Observed {
        let what = format!("{}:{}", call.service, call.action);
        let mut step_done = false;
        let client = call.origin == Origin::Client;
        let mut expected_refusal = false;
        // The engine deleting a lease's key: from here its key is refused, though the
        // lease's own event (after the user is gone) may come after a refusal the
        // learner's proof already met.
        if !client
            && call.status < 400
            && call.action == "DeleteAccessKey"
            && matches!(call.purpose, Some(Purpose::Revoke | Purpose::Expiry))
            && let Some(user) = &call.user
        {
            self.remember_revoked(user);
        }
        if client {
            self.last_activity = Some(at);
            if call.status == 200
                && what == "ec2:DescribeInstances"
                && call.key == Some(KeyKind::Dynamic)
            {
                step_done |= self.done(5, at);
            }
            if call.status >= 400
                && call.key_deleted
                && call
                    .caller
                    .as_ref()
                    .is_some_and(|user| self.revoked_users.contains(user))
            {
                expected_refusal = true;
                step_done |= self.done(6, at);
            }
        }
        // A look for something not there (is the IAM user gone?) is not a mistake.
        let looked = call.status == 404
            && ["Get", "List", "Describe"]
                .iter()
                .any(|verb| call.action.starts_with(verb));
        expected_refusal |= looked;
        // A step the facilitator holds is the room's doing (its log shows it).
        expected_refusal |= call
            .error_message
            .as_deref()
            .is_some_and(super::hold::is_hold);
        let message = match (&call.error_code, &call.error_message) {
            (Some(code), Some(message)) => Some(one_line(&format!("{code}: {message}"))),
            (Some(code), None) => Some(code.clone()),
            _ => None,
        };
        if call.status >= 400 && !expected_refusal {
            self.error(SeatError {
                at,
                what: what.clone(),
                status: call.status,
                message: message.clone().unwrap_or_default(),
            });
        }
        let method = match call.purpose {
            Some(purpose) => format!("ENGINE {}", purpose.as_str()),
            None => "AWS".into(),
        };
        let path = match &call.user {
            Some(user) => format!("{what} {user}"),
            None => what,
        };
        Observed {
            entry: Some(SeatLogEntry {
                at,
                kind: "aws".into(),
                method,
                path,
                status: call.status,
                error: message,
            }),
            step_done,
            wrote: false,
        }
    }

    /// An IAM user whose key is (being) deleted by a revocation: a refusal of its key is
    /// step 6. Bounded, oldest forgotten first.
    fn remember_revoked(&mut self, user: &str) {
        if self.revoked_users.iter().any(|u| u == user) {
            return;
        }
        if self.revoked_users.len() == MAX_REVOKED_USERS {
            self.revoked_users.remove(0);
        }
        self.revoked_users.push(user.to_owned());
    }

    fn lease(&mut self, change: &LeaseChange, at: DateTime<Utc>) -> Observed {
        let mut step_done = false;
        let mut status = 200;
        match change.change {
            LeaseChangeKind::Issued => {
                self.leases_issued += 1;
                if change.lease_id.contains("/creds/") {
                    step_done = self.done(4, at);
                }
            }
            LeaseChangeKind::Revoked | LeaseChangeKind::Expired => {
                self.leases_revoked += 1;
                if let Some(user) = &change.iam_user {
                    self.remember_revoked(user);
                }
            }
            LeaseChangeKind::Renewed => {}
            LeaseChangeKind::RevokeFailed | LeaseChangeKind::Irrevocable => {
                status = 500;
                self.error(SeatError {
                    at,
                    what: format!("revoke {}", change.lease_id),
                    status,
                    message: one_line(change.error.as_deref().unwrap_or("")),
                });
            }
        }
        Observed {
            entry: Some(SeatLogEntry {
                at,
                kind: "lease".into(),
                method: change.change.as_str().to_owned(),
                path: change.lease_id.clone(),
                status,
                error: change.error.as_deref().map(one_line),
            }),
            step_done,
            wrote: false,
        }
    }
}

/// `text` on one line (Vault's multierror words span several).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Client, Purpose};

    fn at(event: Detail) -> Event {
        Event {
            seq: 1,
            time: Utc::now(),
            detail: event,
        }
    }

    fn aws(action: &str, status: u16, key: KeyKind, deleted: bool, caller: &str) -> Detail {
        Detail::Aws(AwsCall {
            account: Some("111111111111".into()),
            namespace: "room/ada/".into(),
            service: "ec2".into(),
            action: action.into(),
            status,
            error_code: (status >= 400).then(|| "AuthFailure".into()),
            error_message: (status >= 400)
                .then(|| "AWS was not able to validate the provided access credentials".into()),
            origin: Origin::Client,
            purpose: None,
            lease_id: None,
            key: Some(key),
            key_deleted: deleted,
            caller: Some(caller.into()),
            user: None,
            duration_ms: 1.0,
        })
    }

    fn lease(change: LeaseChangeKind, user: &str) -> Detail {
        Detail::Lease(LeaseChange {
            namespace: "room/ada/".into(),
            lease_id: "aws/creds/my-role/abc.XYZ123".into(),
            change,
            iam_user: Some(user.into()),
            ttl_seconds: None,
            error: None,
        })
    }

    #[test]
    fn a_refusal_met_while_the_engine_is_still_revoking_is_step_six() {
        let mut p = SeatProgress::default();
        p.observe(&at(lease(LeaseChangeKind::Issued, "vault-u1")));
        let Detail::Aws(mut deleting) = aws("DeleteAccessKey", 200, KeyKind::Admin, false, "admin")
        else {
            unreachable!()
        };
        deleting.service = "iam".into();
        deleting.origin = Origin::Engine;
        deleting.purpose = Some(Purpose::Revoke);
        deleting.user = Some("vault-u1".into());
        p.observe(&at(Detail::Aws(deleting)));
        // The learner's proof meets the refusal before the lease's own event.
        let proof = p.observe(&at(aws(
            "DescribeInstances",
            401,
            KeyKind::Dynamic,
            true,
            "vault-u1",
        )));
        assert!(proof.step_done);
        assert!(p.errors.is_empty(), "an expected refusal: {:?}", p.errors);
        p.observe(&at(lease(LeaseChangeKind::Revoked, "vault-u1")));
        assert_eq!(p.revoked_users, ["vault-u1"], "remembered once");
    }

    #[test]
    fn a_step_the_room_holds_is_not_done_however_it_came_about() {
        let mut p = SeatProgress::default();
        p.observe(&at(lease(LeaseChangeKind::Issued, "vault-u1")));
        // The engine disabled: its leases revoked (no revoke request to hold), then the
        // dead key used, while the room is held at step 4.
        p.observe(&at(lease(LeaseChangeKind::Revoked, "vault-u1")));
        let before = p.steps;
        let proof = p.observe(&at(aws(
            "DescribeInstances",
            401,
            KeyKind::Dynamic,
            true,
            "vault-u1",
        )));
        assert!(proof.step_done);
        assert!(p.unmark_held(&before, 4));
        assert!(p.steps[5].is_none());
        assert!(p.steps[3].is_some(), "step 4 was done before the hold");
        // Nothing newly done: nothing to undo, whatever the pace.
        let before = p.steps;
        assert!(!p.unmark_held(&before, 0));
        assert_eq!(p.steps, before);
    }

    #[test]
    fn seats_are_found_by_their_namespace() {
        assert_eq!(seat_of("room/ada/"), Some("ada"));
        assert_eq!(seat_of("room/ada/sub/"), Some("ada"));
        assert_eq!(seat_of("room/"), None);
        assert_eq!(seat_of(""), None);
        assert_eq!(seat_of("other/ada/"), None);
    }

    #[test]
    fn steps_four_to_six_follow_the_leases_and_the_keys() {
        let mut p = SeatProgress::default();
        assert!(
            !p.observe(&at(aws(
                "DescribeInstances",
                200,
                KeyKind::Admin,
                false,
                "admin"
            )))
            .step_done,
            "root keys are not step 5"
        );
        assert!(
            p.observe(&at(lease(LeaseChangeKind::Issued, "vault-u1")))
                .step_done
        );
        assert!(
            p.observe(&at(aws(
                "DescribeInstances",
                200,
                KeyKind::Dynamic,
                false,
                "vault-u1"
            )))
            .step_done
        );
        // A refused key whose lease was never revoked is no proof.
        assert!(
            !p.observe(&at(aws(
                "DescribeInstances",
                401,
                KeyKind::Dynamic,
                true,
                "vault-u1"
            )))
            .step_done
        );
        assert_eq!(p.errors.len(), 1, "and it is an error");
        p.observe(&at(lease(LeaseChangeKind::Revoked, "vault-u1")));
        let proof = p.observe(&at(aws(
            "DescribeInstances",
            401,
            KeyKind::Dynamic,
            true,
            "vault-u1",
        )));
        assert!(proof.step_done);
        assert_eq!(p.errors.len(), 1, "the expected refusal is not an error");
        let Detail::Aws(mut gone) = aws("GetUser", 404, KeyKind::Admin, false, "admin") else {
            unreachable!()
        };
        gone.service = "iam".into();
        p.observe(&at(Detail::Aws(gone)));
        assert_eq!(
            p.errors.len(),
            1,
            "asking whether the user is gone is not an error"
        );
        assert!(p.steps[3..].iter().all(Option::is_some));
        assert!(p.steps[..3].iter().all(Option::is_none));
        assert_eq!((p.leases_issued, p.leases_revoked), (1, 1));
    }

    #[test]
    fn a_vault_refusal_is_the_last_error_in_one_line_and_a_missing_read_is_not() {
        let mut p = SeatProgress::default();
        let call = |method: &str, status: u16, error: Option<&str>| {
            at(Detail::Vault(VaultCall {
                namespace: "room/ada/".into(),
                method: method.into(),
                path: "aws/roles/my-role".into(),
                status,
                duration_ms: 1.0,
                client: Client::Token,
                error: error.map(str::to_owned),
            }))
        };
        p.observe(&call("GET", 404, None));
        assert!(p.last_error.is_none());
        assert!(p.last_activity.is_none(), "a read is not activity");
        let seen = p.observe(&call("PUT", 400, Some("1 error occurred:\n\t* bad\n\n")));
        let error = p.last_error.clone().unwrap();
        assert_eq!(error.what, "PUT /v1/aws/roles/my-role");
        assert_eq!(error.message, "1 error occurred: * bad");
        assert_eq!(seen.entry.unwrap().path, "/v1/aws/roles/my-role");
        assert!(p.observe(&call("PUT", 204, None)).wrote);
        assert!(p.last_activity.is_some());
    }

    #[test]
    fn engine_calls_are_logged_but_are_not_the_learners_activity() {
        let mut p = SeatProgress::default();
        let Detail::Aws(mut call) = aws("CreateUser", 200, KeyKind::Admin, false, "admin") else {
            unreachable!()
        };
        call.origin = Origin::Engine;
        call.purpose = Some(Purpose::Issue);
        let seen = p.observe(&at(Detail::Aws(call)));
        assert_eq!(seen.entry.unwrap().method, "ENGINE issue");
        assert!(p.last_activity.is_none());
    }
}
