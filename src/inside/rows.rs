//! The inside view as rows of text, for the screen (`ui::inside`) and for `walk
//! --inside`: a heading per burst (the command, or the lease that expired), then one row
//! per AWS call, in order, with when it came after the first and how long it took.

use super::{Availability, Burst, Cause, Why};
use crate::app::state::{App, Pane};

#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// What set the calls off, and Vault's answer to it when there was a request.
    Head {
        what: String,
        answer: Option<String>,
    },
    Call {
        /// Milliseconds after the burst's first call.
        after_ms: f64,
        /// `iam:CreateUser`
        action: String,
        user: Option<String>,
        status: u16,
        error_code: Option<String>,
        duration_ms: f64,
    },
    /// Why there is nothing to show.
    Note(String),
}

impl Row {
    /// The row as plain text (the walk's transcript).
    pub fn plain(&self) -> String {
        match self {
            Row::Head { what, answer } => match answer {
                Some(answer) => format!("{what}  → {answer}"),
                None => what.clone(),
            },
            Row::Call {
                after_ms,
                action,
                user,
                status,
                error_code,
                duration_ms,
            } => {
                let mut text = format!("{:>8}  {action}", after(*after_ms));
                if let Some(user) = user {
                    text.push(' ');
                    text.push_str(user);
                }
                text.push_str(&format!("  {status}"));
                if let Some(code) = error_code {
                    text.push(' ');
                    text.push_str(code);
                }
                text.push_str(&format!("  {}", took(*duration_ms)));
                text
            }
            Row::Note(text) => text.clone(),
        }
    }
}

/// `+12 ms`, `+1.2 s`.
pub fn after(ms: f64) -> String {
    if ms < 1000.0 {
        format!("+{ms:.0} ms")
    } else {
        format!("+{:.1} s", ms / 1000.0)
    }
}

/// `3.1 ms`, `1.2 s`.
pub fn took(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// The rows of one burst.
pub fn burst_rows(app: &App, burst: &Burst) -> Vec<Row> {
    let lease = burst
        .lease_id()
        .map(crate::lease::short_lease_id)
        .unwrap_or_default();
    let what = match (&burst.cause, burst.why) {
        (Cause::Expiry, _) => {
            format!("lease {lease} reached its end: Vault revoked it, no command typed")
        }
        (Cause::Step(step), _) => format!("$ {}", app.fill(&app.lab.steps[*step].cli)),
        (Cause::Lease, Why::Revoke) => format!("lease {lease} revoked"),
        (Cause::Lease, _) => burst.why_words().to_owned(),
    };
    let answer = burst
        .request
        .as_ref()
        .map(|(request, status, ms)| format!("{request} {status} in {}", took(*ms)));
    let mut rows = vec![Row::Head { what, answer }];
    let first = burst.started();
    for call in &burst.calls {
        let after_ms = first
            .map(|first| (call.time - first).num_microseconds().unwrap_or(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        rows.push(Row::Call {
            after_ms,
            action: format!("{}:{}", call.service, call.action),
            user: call.user.clone(),
            status: call.status,
            error_code: call.error_code.clone(),
            duration_ms: call.duration_ms,
        });
    }
    rows
}

impl Burst {
    fn why_words(&self) -> &'static str {
        match self.why {
            Why::Issue => "credentials issued",
            Why::Revoke => "a lease revoked",
            Why::Expiry => "a lease expired",
            Why::Rollback => "a half-made user deleted",
            Why::RotateRoot => "the root keys rotated",
        }
    }
}

/// Everything the view shows on `pane`, oldest first: a note when there is nothing.
pub fn pane_rows(app: &App, pane: Pane) -> Vec<Row> {
    if let Some(reason) = Availability::of(app).reason() {
        return vec![Row::Note(reason.to_owned())];
    }
    let mut rows: Vec<Row> = app
        .inside
        .for_pane(pane)
        .flat_map(|burst| burst_rows(app, burst))
        .collect();
    if app.inside.missed > 0 {
        rows.push(Row::Note(format!(
            "{} events came too fast to be shown",
            app.inside.missed
        )));
    }
    if rows.is_empty() {
        rows.push(Row::Note(match pane {
            Pane::Step(_) => "no AWS calls for this step yet (i hides this)".to_owned(),
            _ => "no AWS calls yet (i hides this)".to_owned(),
        }));
    }
    rows
}
