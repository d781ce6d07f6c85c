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
        Some((prefix, tail)) if tail.len() > 6 => format!("{prefix}/…{}", &tail[tail.len() - 4..]),
        _ => lease_id.to_owned(),
    }
}
