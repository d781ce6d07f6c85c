//! The room's report, written when the dashboard ends the room: the same Markdown as
//! `vaultlab room end` writes (`cmd::room_table::report_markdown`), and the JSON beside
//! it, both mode 0600 as that command writes them. It names seats, never a token or a key.

use std::path::{Path, PathBuf};

use vaultlab_wire::private_file;
use vaultlab_wire::room::RoomReport;

use crate::cmd::room_table::report_markdown;

/// Writes `path` (Markdown) and the same path with `.json`; returns the JSON's path.
pub fn write(path: &Path, report: &RoomReport) -> std::io::Result<PathBuf> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let json_path = path.with_extension("json");
    let json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    private_file::write_private(&json_path, &json)?;
    private_file::write_private(path, report_markdown(report).as_bytes())?;
    Ok(json_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use vaultlab_wire::room::{SeatError, SeatReport, StepProgress};

    #[test]
    fn the_report_is_written_as_markdown_and_json_beside_it() {
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
        let dir = tempfile::tempdir().unwrap();
        let markdown = dir.path().join("r/report.md");
        let json = write(&markdown, &report).unwrap();
        let text = std::fs::read_to_string(&markdown).unwrap();
        assert!(text.contains("| ada |"), "{text}");
        assert!(
            text.contains("`PUT /v1/aws/roles/my-role` 403: permission denied"),
            "{text}"
        );
        let back: RoomReport = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
        assert_eq!(back, report);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&markdown).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
