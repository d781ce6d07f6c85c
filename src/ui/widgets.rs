//! Small pieces several panes share.

use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::app::state::StepStatus;

/// The mark after a step's name in the tabs.
pub fn status_mark(status: &StepStatus) -> &'static str {
    match status {
        StepStatus::Pending => "",
        StepStatus::Running => " …",
        StepStatus::Done => " ✓",
        StepStatus::Failed(_) => " ✗",
    }
}

pub fn status_badge(status: &StepStatus, theme: &Theme) -> Span<'static> {
    match status {
        StepStatus::Pending => Span::styled("○ pending", theme.muted),
        StepStatus::Running => Span::styled("◌ running", theme.running),
        StepStatus::Done => Span::styled("● done", theme.done),
        StepStatus::Failed(_) => Span::styled("✗ failed", theme.failed),
    }
}

/// `label: value` with the label dimmed.
pub fn field<'a>(label: &'a str, value: impl Into<Span<'a>>, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<16}"), theme.muted),
        value.into(),
    ])
}

/// A secret as dots, one per character, so its length shows but nothing else.
pub fn masked(len: usize) -> String {
    "•".repeat(len.min(40))
}

/// A lease id with its random tail shortened: enough to tell two apart.
pub fn short_lease_id(lease_id: &str) -> String {
    match lease_id.rsplit_once('/') {
        Some((prefix, tail)) if tail.chars().count() > 6 => {
            let start = tail.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
            format!("{prefix}/…{}", &tail[start..])
        }
        _ => lease_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::short_lease_id;

    #[test]
    fn lease_ids_shorten_on_character_boundaries() {
        assert_eq!(
            short_lease_id("aws/creds/my-role/Q3vJ8ZkT0bW1xY2zA4cD5eF6"),
            "aws/creds/my-role/…5eF6"
        );
        assert_eq!(short_lease_id("aws/creds/r/abcdéfgh"), "aws/creds/r/…éfgh");
        assert_eq!(short_lease_id("short/abc"), "short/abc");
    }
}
