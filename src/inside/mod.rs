//! The inside view: the AWS calls Vault's engine makes on the learner's behalf, shown
//! under the step that caused them. The embedded sandbox sees every one (its event
//! stream); `feed` turns them into messages, and this module, pure like `update`, groups
//! them into bursts (one Vault request's worth of AWS calls) and says which step or lease
//! each burst belongs to. Events carry names, never secrets.

pub mod feed;
pub mod rows;

use chrono::{DateTime, Utc};

use crate::app::state::{App, Mode, Pane};
use crate::lab::StepKind;

/// How many bursts are kept: a long session's oldest are forgotten.
const KEPT_BURSTS: usize = 64;

/// Why Vault's engine called AWS (the sandbox's words for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Issue,
    Revoke,
    /// The lease reached its TTL: Vault revoked it by itself, no command typed.
    Expiry,
    /// A user left half made by a failed issue, deleted.
    Rollback,
    RotateRoot,
}

/// One AWS call the engine made.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub time: DateTime<Utc>,
    pub why: Why,
    /// `iam`, `sts`.
    pub service: String,
    pub action: String,
    /// The IAM user it is about, when it names one.
    pub user: Option<String>,
    pub status: u16,
    pub error_code: Option<String>,
    pub duration_ms: f64,
    /// The lease being revoked, for a revocation or an expiry.
    pub lease_id: Option<String>,
}

/// What the sandbox saw, as the app is told of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// An AWS call of Vault's engine.
    Aws(Call),
    /// A Vault request was answered: the AWS calls before it were its doing.
    Vault {
        method: String,
        path: String,
        status: u16,
        duration_ms: f64,
    },
    /// The stream went too fast for vaultlab, which missed this many events.
    Missed(u64),
}

/// Whose doing a burst was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// A step's command (its index).
    Step(usize),
    /// A revocation asked from elsewhere: the leases pane, quitting.
    Lease,
    /// Nobody's: a lease reached its end.
    Expiry,
}

/// The AWS calls of one Vault request, or of one lease's expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    pub cause: Cause,
    pub why: Why,
    pub calls: Vec<Call>,
    /// The Vault request that made them, once it was answered (`GET aws/creds/my-role
    /// 200`); none for an expiry.
    pub request: Option<(String, u16, f64)>,
    /// Its request was answered after its calls: the next call is another burst's.
    closed: bool,
}

impl Burst {
    pub fn lease_id(&self) -> Option<&str> {
        self.calls.iter().find_map(|c| c.lease_id.as_deref())
    }

    pub fn started(&self) -> Option<DateTime<Utc>> {
        self.calls.first().map(|c| c.time)
    }
}

/// Whether the inside view can be had here, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Here,
    /// Vault's engine calls another AWS endpoint (moto): vaultlab cannot see its calls.
    OtherEndpoint,
    /// A Vault not embedded: its calls to AWS happen where vaultlab cannot see them.
    NotSandbox,
}

impl Availability {
    pub fn of(app: &App) -> Availability {
        match (&app.connection.mode, &app.connection.service_endpoint) {
            (Mode::Sandbox, None) => Availability::Here,
            (Mode::Sandbox, Some(_)) => Availability::OtherEndpoint,
            _ => Availability::NotSandbox,
        }
    }

    /// Why the view is empty, in a sentence; none when it can be had.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Availability::Here => None,
            Availability::OtherEndpoint => Some(
                "The inside view needs the sandbox's own AWS: with --aws-endpoint, Vault's \
                 engine calls that endpoint, where vaultlab cannot watch.",
            ),
            Availability::NotSandbox => Some(
                "The inside view needs the sandbox: this Vault calls its services where \
                 vaultlab cannot watch (run without VAULT_ADDR, or with --sandbox).",
            ),
        }
    }
}

/// The inside view's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inside {
    /// Shown under the panes (the `i` key; presenter mode turns it on).
    pub shown: bool,
    /// Oldest first.
    pub bursts: Vec<Burst>,
    /// A request answered before the calls it set off (a revocation Vault queued: 202,
    /// then the calls): it heads the next burst it could have made.
    answered_first: Option<(String, u16, f64)>,
    /// Events vaultlab could not keep up with.
    pub missed: u64,
}

impl Inside {
    /// `i`: shown or hidden; where there is nothing to see, the notice says why.
    pub fn toggle(app: &mut App) {
        app.inside.shown = !app.inside.shown;
        if app.inside.shown
            && let Some(reason) = Availability::of(app).reason()
        {
            app.notice = Some(reason.to_owned());
        }
    }

    /// The bursts a pane shows, oldest first: a step's own, and expiries everywhere (no
    /// one typed anything for them); every burst on the panes that are no step's.
    pub fn for_pane(&self, pane: Pane) -> impl Iterator<Item = &Burst> {
        self.bursts.iter().filter(move |burst| match pane {
            Pane::Step(step) => {
                matches!(burst.cause, Cause::Step(s) if s == step) || burst.cause == Cause::Expiry
            }
            _ => true,
        })
    }
}

/// What the sandbox saw, taken in. Returns whether the screen changed.
pub fn on_seen(app: &mut App, seen: Seen) -> bool {
    match seen {
        Seen::Aws(call) => {
            let cause = cause_of(app, &call);
            let inside = &mut app.inside;
            // A burst is open until the request that made it is answered; calls of
            // another request, or for another lease, start one of their own.
            let joins = inside.bursts.last().is_some_and(|last| {
                !last.closed
                    && last.cause == cause
                    && last.why == call.why
                    && last.lease_id() == call.lease_id.as_deref()
            });
            match inside.bursts.last_mut() {
                Some(last) if joins => last.calls.push(call),
                _ => {
                    if inside.bursts.len() == KEPT_BURSTS {
                        inside.bursts.remove(0);
                    }
                    // No one typed anything for an expiry: with the view hidden, the
                    // status bar says it is happening, unless it says something already.
                    if call.why == Why::Expiry && !inside.shown && app.notice.is_none() {
                        let lease = call.lease_id.as_deref().map(crate::lease::short_lease_id);
                        app.notice = Some(format!(
                            "Lease {} reached its end: Vault is deleting its IAM user by \
                             itself (i shows its AWS calls).",
                            lease.unwrap_or_default()
                        ));
                    }
                    let request = inside
                        .answered_first
                        .take_if(|(request, ..)| made_by(call.why, request_path(request)));
                    inside.bursts.push(Burst {
                        cause,
                        why: call.why,
                        calls: vec![call],
                        request,
                        closed: false,
                    });
                }
            }
            app.inside.shown || app.notice.is_some()
        }
        Seen::Vault {
            method,
            path,
            status,
            duration_ms,
        } => {
            let inside = &mut app.inside;
            let request = (format!("{method} {path}"), status, duration_ms);
            // The request whose handling made the calls: the reconciliation's reads in
            // between are no one's cause.
            if let Some(last) = inside.bursts.last_mut()
                && !last.closed
                && last.request.is_none()
                && made_by(last.why, &path)
            {
                // A revocation Vault queued (202) goes on after its answer: the calls
                // still to come for its lease join this burst.
                last.closed = status != 202;
                last.request = Some(request);
                return inside.shown;
            }
            if [Why::Issue, Why::Revoke, Why::RotateRoot]
                .into_iter()
                .any(|why| made_by(why, &path))
            {
                inside.answered_first = Some(request);
            }
            false
        }
        Seen::Missed(count) => {
            app.inside.missed += count;
            app.inside.shown
        }
    }
}

/// `GET aws/creds/my-role` → `aws/creds/my-role`.
fn request_path(request: &str) -> &str {
    request.split_once(' ').map_or(request, |(_, path)| path)
}

/// Whether a Vault request on `path` makes AWS calls for `why`.
fn made_by(why: Why, path: &str) -> bool {
    match why {
        Why::Issue | Why::Rollback => {
            !path.starts_with("sys/") && (path.contains("/creds/") || path.contains("/sts/"))
        }
        Why::Revoke => path.starts_with("sys/leases/revoke") || path.starts_with("sys/revoke"),
        Why::RotateRoot => path.ends_with("config/rotate-root"),
        Why::Expiry => false,
    }
}

/// Which step (or none) a call belongs to: issuing to the step that issues; a revocation
/// to the revoke step when its pane is where it was asked, else to the lease; rotating the
/// root keys to the step on screen.
fn cause_of(app: &App, call: &Call) -> Cause {
    let step_of =
        |wanted: fn(&StepKind) -> bool| app.lab.steps.iter().position(|step| wanted(&step.kind));
    match call.why {
        Why::Issue | Why::Rollback => app.issue_step().map_or(Cause::Lease, Cause::Step),
        Why::Expiry => Cause::Expiry,
        Why::Revoke => match step_of(|kind| matches!(kind, StepKind::Revoke(_))) {
            Some(step) if app.pane == Pane::Step(step) => Cause::Step(step),
            _ => Cause::Lease,
        },
        Why::RotateRoot => app.pane.step().map_or(Cause::Lease, Cause::Step),
    }
}

#[cfg(test)]
mod tests;
