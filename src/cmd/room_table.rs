//! The room's status as a table for a terminal (`vaultlab room status`), and its end
//! report as Markdown (`vaultlab room end`). Plain text: no colour, one seat a row.

use chrono::{DateTime, Utc};
use vaultlab_wire::room::{RoomReport, RoomStatus, StepProgress};

/// The longest last error shown in a row, in characters.
const ERROR_CHARS: usize = 60;

/// `1h02m`, `4m05s`, `9s`.
fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn steps(steps: &[StepProgress]) -> String {
    steps
        .iter()
        .map(|s| if s.done_at.is_some() { '✓' } else { '·' })
        .collect()
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars - 1).collect();
    cut.push('…');
    cut
}

pub fn render(status: &RoomStatus, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut header = format!(
        "room {:?} · code {} · {}/{} seats",
        status.title, status.join_code, status.summary.joined, status.max_seats
    );
    if let Some(pace) = status.pace {
        header.push_str(&format!(" · held at step {pace}"));
    }
    if let Some(ended) = status.ended {
        header.push_str(&format!(" · ended {}", ended.format("%H:%M:%S")));
    }
    out.push_str(&header);
    out.push('\n');
    if let Some(broadcast) = &status.broadcast {
        out.push_str(&format!("broadcast: {}\n", broadcast.message));
    }
    let per_step: Vec<String> = status
        .summary
        .done_per_step
        .iter()
        .zip(1..)
        .map(|(n, step)| format!("{step}:{n}"))
        .collect();
    out.push_str(&format!(
        "joined {} · done per step {} · leases alive {}\n",
        status.summary.joined,
        per_step.join(" "),
        status.summary.leases_alive
    ));
    if status.seats.is_empty() {
        out.push_str("no seat taken yet\n");
        return out;
    }
    let width = status
        .seats
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    out.push_str(&format!(
        "\n{:width$}  {:6}  {:14}  {:>6}  LAST ERROR\n",
        "SEAT", "STEPS", "LEASES", "IDLE"
    ));
    for seat in &status.seats {
        let leases = match seat.leases.iter().map(|l| l.expires_at).min() {
            None => "0".to_owned(),
            Some(first) => format!(
                "{} (next {})",
                seat.leases.len(),
                span((first - now).num_seconds())
            ),
        };
        let error = seat
            .last_error
            .as_ref()
            .map(|e| {
                cut(
                    &format!("{} {}: {}", e.status, e.what, e.message),
                    ERROR_CHARS,
                )
            })
            .unwrap_or_else(|| "-".to_owned());
        out.push_str(&format!(
            "{:width$}  {:6}  {:14}  {:>6}  {}\n",
            seat.name,
            steps(&seat.steps),
            leases,
            span((now - seat.last_activity).num_seconds()),
            error
        ));
    }
    out
}

/// The end report, for a facilitator's records.
pub fn report_markdown(report: &RoomReport) -> String {
    let mut md = format!(
        "# Room report: {}\n\nOpened {} · ended {} · {} leases revoked at the end · {} `vault-*` IAM users left\n\n",
        report.title,
        report.opened.format("%Y-%m-%d %H:%M:%S UTC"),
        report.ended.format("%Y-%m-%d %H:%M:%S UTC"),
        report.leases_revoked,
        report.vault_users_left
    );
    md.push_str(
        "| seat | steps | leases issued | leases revoked | errors |\n|---|---|---|---|---|\n",
    );
    for seat in &report.seats {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            seat.name,
            steps(&seat.steps),
            seat.leases_issued,
            seat.leases_revoked,
            seat.errors.len()
        ));
    }
    for seat in &report.seats {
        md.push_str(&format!("\n## {}\n\n", seat.name));
        for step in &seat.steps {
            match step.done_at {
                Some(at) => md.push_str(&format!(
                    "- step {} done at {}\n",
                    step.step,
                    at.format("%H:%M:%S")
                )),
                None => md.push_str(&format!("- step {} not done\n", step.step)),
            }
        }
        if !seat.errors.is_empty() {
            md.push_str("\nErrors met:\n\n");
            for error in &seat.errors {
                md.push_str(&format!(
                    "- {} `{}` {}: {}\n",
                    error.at.format("%H:%M:%S"),
                    error.what,
                    error.status,
                    error.message.replace('|', "\\|")
                ));
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaultlab_wire::room::{LeaseSummary, RoomSummary, SeatError, SeatStatus};

    #[test]
    fn a_seat_row_reads_steps_leases_idle_time_and_the_error() {
        let now = Utc::now();
        let at = now - chrono::Duration::seconds(185);
        let status = RoomStatus {
            title: "dyn".into(),
            join_code: "K7QF-92XD".into(),
            max_seats: 30,
            opened: at,
            ended: None,
            broadcast: None,
            pace: Some(3),
            short_leases: None,
            seats: vec![SeatStatus {
                name: "ada".into(),
                namespace: "room/ada/".into(),
                account_id: "1".into(),
                joined: at,
                last_activity: at,
                steps: (1..=6)
                    .map(|step| StepProgress {
                        step,
                        done_at: (step < 3).then_some(at),
                    })
                    .collect(),
                leases: vec![LeaseSummary {
                    lease_id: "x".into(),
                    expires_at: now + chrono::Duration::seconds(61),
                }],
                last_error: Some(SeatError {
                    at,
                    what: "PUT /v1/aws/roles/r".into(),
                    status: 400,
                    message: "bad".into(),
                }),
            }],
            summary: RoomSummary {
                joined: 1,
                done_per_step: [1, 1, 0, 0, 0, 0],
                leases_alive: 1,
            },
        };
        let text = render(&status, now);
        assert!(text.contains("held at step 3"), "{text}");
        let row = text.lines().find(|l| l.starts_with("ada")).unwrap();
        assert!(row.contains("✓✓····"), "{row}");
        assert!(row.contains("1 (next 1m01s)"), "{row}");
        assert!(row.contains("3m05s"), "{row}");
        assert!(row.contains("400 PUT /v1/aws/roles/r: bad"), "{row}");
    }
}
