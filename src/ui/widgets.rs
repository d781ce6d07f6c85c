//! Small pieces several panes share.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use crate::app::App;
use crate::app::room::done_in_room;
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

fn status_badge(status: &StepStatus, theme: &Theme) -> Span<'static> {
    match status {
        StepStatus::Pending => Span::styled("○ pending", theme.muted),
        StepStatus::Running => Span::styled("◌ running", theme.running),
        StepStatus::Done => Span::styled("● done", theme.done),
        StepStatus::Failed(_) => Span::styled("✗ failed", theme.failed),
    }
}

/// Step `step`'s mark in the tabs: this run's, or (✓) for a step the room saw done, so
/// the room's record never reads as this run's.
pub fn step_mark(app: &App, step: usize) -> &'static str {
    match done_in_room(app, step) {
        Some(_) => " (✓)",
        None => status_mark(&app.steps[step].status),
    }
}

/// Step `step`'s badge: this run's status, or, for a step the room saw done (a rejoined
/// seat), done with the time the room saw it.
pub fn step_badge(app: &App, step: usize, theme: &Theme) -> Span<'static> {
    match done_in_room(app, step) {
        Some(at) => Span::styled(
            format!("● done {} UTC (the room's record)", at.format("%H:%M")),
            theme.done,
        ),
        None => status_badge(&app.steps[step].status, theme),
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

pub use crate::lease::short_lease_id;

/// `text` broken into rows of at most `width` columns at spaces; a word longer than a row
/// (a URL, a key) is split where the row ends. Runs of spaces inside a row are kept (a
/// command must stay exact) and dropped where a row breaks. Newlines start a new row.
pub fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for paragraph in text.split('\n') {
        let mut row = String::new();
        let mut used = 0;
        // Spaces seen since the last word; `split` yields one boundary per space.
        let mut gap = 0;
        for (i, word) in paragraph.split(' ').enumerate() {
            gap += usize::from(i > 0);
            if word.is_empty() {
                continue;
            }
            if used > 0 && used + gap + word.width() > width {
                rows.push(std::mem::take(&mut row));
                used = 0;
                gap = 0;
            }
            row.extend(std::iter::repeat_n(' ', gap));
            used += gap;
            gap = 0;
            for ch in word.chars() {
                let ch_width = ch.width().unwrap_or(0);
                if used > 0 && used + ch_width > width {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                }
                row.push(ch);
                used += ch_width;
            }
        }
        rows.push(row);
    }
    rows
}

/// A labelled value whose wrapped rows stay indented under the value, not under the
/// label, so a long command still reads as one item.
pub fn hanging(
    label: &str,
    label_style: Style,
    value: &str,
    value_style: Style,
    width: u16,
) -> Vec<Line<'static>> {
    let indent = label.width();
    let rows = wrap_text(value, usize::from(width).saturating_sub(indent));
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let lead = if i == 0 {
                Span::styled(label.to_owned(), label_style)
            } else {
                Span::raw(" ".repeat(indent))
            };
            Line::from(vec![lead, Span::styled(row, value_style)])
        })
        .collect()
}

/// A pretty-printed response on as few rows as it will take: each line's indentation
/// becomes one space, so JSON reads `{ "a": 1, "b": 2 }` rather than a run of blanks.
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::{one_line, short_lease_id, wrap_text};

    #[test]
    fn text_wraps_at_spaces_and_splits_words_longer_than_a_row() {
        assert_eq!(wrap_text("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap_text("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
        assert_eq!(wrap_text("a\nb", 10), ["a", "b"]);
        assert_eq!(wrap_text("", 10), [""]);
        assert_eq!(wrap_text("a  b   c", 5), ["a  b", "c"]);
        assert_eq!(wrap_text("  indented", 20), ["  indented"]);
        // Wide characters count as two columns.
        assert_eq!(wrap_text("漢字漢字", 4), ["漢字", "漢字"]);
    }

    #[test]
    fn pretty_json_reads_on_one_line() {
        assert_eq!(
            one_line("{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}"),
            "{ \"a\": 1, \"b\": [ 2 ] }"
        );
    }

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
