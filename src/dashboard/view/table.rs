//! The body: the seats table, or one seat's event log. Both keep the selected row (or the
//! scrolled-to entry) in view and say which rows of how many show.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use unicode_width::UnicodeWidthStr;

use crate::dashboard::seats::{ago, lease_cell, step_marks};
use crate::dashboard::{Dashboard, View};
use crate::ui::Theme;

/// Column widths at a body `width`: name, steps, leases, idle; the error takes the rest.
struct Widths {
    name: u16,
    steps: u16,
    leases: u16,
    idle: u16,
    /// Steps spaced (`✓ ✓ ▶ · · ·`) or packed (`✓✓▶···`).
    spaced: bool,
}

fn widths(d: &Dashboard, width: u16) -> Widths {
    let longest = d
        .room
        .as_ref()
        .and_then(|r| r.seats.iter().map(|s| s.name.width()).max())
        .unwrap_or(4);
    let wide = width >= 120;
    Widths {
        name: u16::try_from(longest)
            .unwrap_or(u16::MAX)
            .clamp(4, if wide { 24 } else { 14 }),
        steps: if width >= 100 { 11 } else { 6 },
        leases: if wide { 22 } else { 10 },
        idle: 6,
        spaced: width >= 100,
    }
}

/// The rows shown from `first`, so that `cursor` is in view among `rows` rows of room.
fn first_shown(cursor: usize, room: usize) -> usize {
    (cursor + 1).saturating_sub(room.max(1))
}

pub fn seats(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let rows = d.rows();
    if rows.is_empty() {
        let words = match (&d.room, d.filter) {
            (None, _) => "Reading the room…".to_owned(),
            (Some(r), _) if r.seats.is_empty() => {
                "No one has joined yet: learners type the join line above.".to_owned()
            }
            (Some(_), filter) => format!(
                "No seat is shown by the filter “{}”: f changes it.",
                filter.label()
            ),
        };
        frame.render_widget(Paragraph::new(Line::styled(words, theme.muted)), area);
        return;
    }
    let w = widths(d, area.width);
    let room = usize::from(area.height.saturating_sub(1));
    let cursor = d.cursor();
    let first = first_shown(cursor, room);
    let steps_head = if w.spaced { "1 2 3 4 5 6" } else { "123456" };
    let shown = format!(
        "last error{}",
        if rows.len() > room {
            format!(
                "   seats {}–{} of {}",
                first + 1,
                (first + room).min(rows.len()),
                rows.len()
            )
        } else {
            String::new()
        }
    );
    let header =
        Row::new(["seat", steps_head, "leases", "idle", shown.as_str()]).style(theme.muted);
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(first)
        .take(room)
        .map(|(i, seat)| {
            let marks = step_marks(seat);
            let steps: Vec<Span> = marks
                .iter()
                .enumerate()
                .flat_map(|(n, mark)| {
                    let style = match *mark {
                        "✓" => theme.done,
                        "▶" => theme.running,
                        _ => theme.muted,
                    };
                    let gap = (w.spaced && n > 0).then(|| Span::raw(" "));
                    gap.into_iter().chain([Span::styled(*mark, style)])
                })
                .collect();
            let error = seat.last_error.as_ref().map_or(Line::default(), |e| {
                Line::styled(
                    format!("{} {}: {}", e.status, e.what, e.message),
                    theme.failed,
                )
            });
            let row = Row::new([
                Cell::from(seat.name.as_str()),
                Cell::from(Line::from(steps)),
                Cell::from(lease_cell(seat, d.now, usize::from(w.leases))).style(theme.running),
                Cell::from(ago(seat.last_activity, d.now)),
                Cell::from(error),
            ]);
            if i == cursor && d.prompt.is_none() {
                row.style(theme.selected)
            } else {
                row
            }
        });
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(w.name),
            Constraint::Length(w.steps),
            Constraint::Length(w.leases),
            Constraint::Length(w.idle),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .column_spacing(2);
    frame.render_widget(table, area);
}

pub fn log(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let View::Log {
        seat,
        log,
        scroll,
        problem,
        ..
    } = &d.view
    else {
        return;
    };
    let status = d
        .room
        .as_ref()
        .and_then(|r| r.seats.iter().find(|s| &s.name == seat));
    let mut head = vec![
        Span::styled("seat ", theme.muted),
        Span::styled(seat.clone(), theme.title),
    ];
    if let Some(s) = status {
        head.push(Span::styled(
            format!(
                " · namespace {} · account {} · joined {} ago",
                s.namespace.trim_end_matches('/'),
                s.account_id,
                ago(s.joined, d.now)
            ),
            theme.muted,
        ));
    }
    let mut lines = vec![Line::from(head)];
    if let Some(problem) = problem {
        lines.push(Line::styled(
            format!("cannot read the log: {problem}"),
            theme.failed,
        ));
    }
    let entries = log.as_ref().map_or(&[][..], |l| l.entries.as_slice());
    let room = usize::from(area.height).saturating_sub(lines.len() + 1);
    match log {
        None => lines.push(Line::styled("reading the seat's events…", theme.muted)),
        Some(_) if entries.is_empty() => {
            lines.push(Line::styled("No request from this seat yet.", theme.muted));
        }
        Some(_) => {
            let first = (*scroll).min(entries.len().saturating_sub(1));
            let last = (first + room).min(entries.len());
            lines.push(Line::styled(
                format!(
                    "newest first · {}–{} of {} · ↑↓ scroll",
                    first + 1,
                    last,
                    entries.len()
                ),
                theme.muted,
            ));
            for entry in &entries[first..last] {
                let style = if entry.status >= 400 {
                    theme.failed
                } else {
                    Style::new()
                };
                let mut spans = vec![
                    Span::styled(format!("{:>7} ago ", ago(entry.at, d.now)), theme.muted),
                    Span::styled(format!("{:<5} ", entry.kind), theme.muted),
                    Span::raw(format!("{:<6} ", entry.method)),
                    Span::raw(format!("{} ", entry.path)),
                    Span::styled(entry.status.to_string(), style),
                ];
                if let Some(error) = &entry.error {
                    spans.push(Span::styled(format!("  {error}"), theme.failed));
                }
                lines.push(Line::from(spans));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::first_shown;

    #[test]
    fn the_selected_row_stays_in_view() {
        assert_eq!(first_shown(0, 10), 0);
        assert_eq!(first_shown(9, 10), 0);
        assert_eq!(first_shown(10, 10), 1);
        assert_eq!(first_shown(99, 20), 80);
        assert_eq!(first_shown(3, 0), 3);
    }
}
