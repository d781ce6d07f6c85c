//! The room's report, written when it ends: Markdown for people, JSON beside it for
//! scripts. Per seat: steps done with their times, errors met, leases issued and revoked.
//! It names seats, never a token or a key (the room's report carries none).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vaultlab_wire::private_file;
use vaultlab_wire::room::RoomReport;

/// Writes `path` (Markdown) and the same path with `.json`, each whole or not at all and
/// readable by its owner only (it names the learners); returns the JSON's path.
pub fn write(path: &Path, report: &RoomReport) -> std::io::Result<PathBuf> {
    let json_path = path.with_extension("json");
    let json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    private_file::write_private(&json_path, &json)?;
    private_file::write_private(path, markdown(report).as_bytes())?;
    Ok(json_path)
}

pub fn markdown(report: &RoomReport) -> String {
    let mut out = String::new();
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let _ = writeln!(out, "# {}\n", report.title);
    let _ = writeln!(
        out,
        "- opened {}, ended {}",
        time(report.opened),
        time(report.ended)
    );
    let _ = writeln!(out, "- {} seats", report.seats.len());
    let _ = writeln!(
        out,
        "- leases revoked at the end: {}",
        report.leases_revoked
    );
    let _ = writeln!(
        out,
        "- `vault-*` IAM users left in any account: {}{}\n",
        report.vault_users_left,
        if report.vault_users_left == 0 {
            ""
        } else {
            " (NOT CLEAN)"
        }
    );
    let _ = writeln!(
        out,
        "| seat | steps done | last step at | errors | leases issued | leases revoked |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for seat in &report.seats {
        let done: Vec<String> = seat
            .steps
            .iter()
            .filter(|s| s.done_at.is_some())
            .map(|s| s.step.to_string())
            .collect();
        let last = seat
            .steps
            .iter()
            .filter_map(|s| s.done_at)
            .max()
            .map_or("-".to_owned(), |t| t.format("%H:%M:%S").to_string());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            seat.name,
            if done.is_empty() {
                "-".to_owned()
            } else {
                done.join(" ")
            },
            last,
            seat.errors.len(),
            seat.leases_issued,
            seat.leases_revoked
        );
    }
    for seat in report.seats.iter().filter(|s| !s.errors.is_empty()) {
        let _ = writeln!(out, "\n## {}: errors met\n", seat.name);
        for e in &seat.errors {
            let message = e.message.replace('\n', " ");
            let _ = writeln!(
                out,
                "- {} `{}` {}: {}",
                e.at.format("%H:%M:%S"),
                e.what,
                e.status,
                message
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use vaultlab_wire::room::{SeatError, SeatReport, StepProgress};

    #[test]
    fn the_report_lists_each_seat_and_its_errors() {
        let at = |s| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        let report = RoomReport {
            title: "Dynamic secrets".into(),
            opened: at(0),
            ended: at(7200),
            leases_revoked: 3,
            vault_users_left: 0,
            seats: vec![SeatReport {
                name: "ada".into(),
                steps: (1..=6)
                    .map(|step| StepProgress {
                        step,
                        done_at: (step <= 2).then(|| at(i64::from(step) * 60)),
                    })
                    .collect(),
                errors: vec![SeatError {
                    at: at(100),
                    what: "PUT /v1/aws/roles/my-role".into(),
                    status: 403,
                    message: "permission denied".into(),
                }],
                leases_issued: 2,
                leases_revoked: 2,
            }],
        };
        let text = markdown(&report);
        assert!(text.contains("| ada | 1 2 | "), "{text}");
        assert!(text.contains("users left in any account: 0\n"), "{text}");
        assert!(
            text.contains("`PUT /v1/aws/roles/my-role` 403: permission denied"),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let json = write(&dir.path().join("report.md"), &report).unwrap();
        let back: RoomReport = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
        assert_eq!(back, report);
    }
}
