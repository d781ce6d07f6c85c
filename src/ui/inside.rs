//! The inside view's box, under the focused pane: the AWS calls Vault's engine made for
//! this step (and any lease that expired by itself), newest at the bottom. When they do
//! not all fit, the oldest go and a mark says how many.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::app::App;
use crate::inside::rows::{Row, after, pane_rows, took};

/// The rows the pane above keeps, at least: its heading, its command, its hint.
const PANE_KEEPS: u16 = 11;

/// Splits `body` into the pane's area and the box's, when the view is shown. With nothing
/// to list (only a note: no calls yet, or why there can be none), one row without a frame,
/// or, with `quiet` (on stage, where the view is on by itself), nothing at all.
pub fn split(app: &App, body: Rect, quiet: bool) -> (Rect, Option<Rect>) {
    if !app.inside.shown {
        return (body, None);
    }
    let rows = pane_rows(app, app.pane());
    if let [Row::Note(_)] = rows[..] {
        if quiet || body.height <= PANE_KEEPS {
            return (body, None);
        }
        let [pane, note] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
        return (pane, Some(note));
    }
    let wanted = u16::try_from(rows.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    // Two fifths of the body at most, and never below what the pane must keep.
    let most = (body.height * 2 / 5).min(body.height.saturating_sub(PANE_KEEPS));
    let height = wanted.min(most);
    if height < 3 {
        return (body, None);
    }
    let [pane, inside] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(body);
    (pane, Some(inside))
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = pane_rows(app, app.pane());
    if let [Row::Note(note)] = &rows[..] {
        let line = Line::from(vec![
            Span::styled("inside Vault: ", theme.title),
            Span::styled(
                cut(note, usize::from(area.width).saturating_sub(14)),
                theme.muted,
            ),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let inner_rows = usize::from(area.height.saturating_sub(2));
    let width = usize::from(area.width.saturating_sub(2));
    let hidden = rows.len().saturating_sub(inner_rows);
    let mut title = vec![
        Span::styled(" inside Vault ", theme.title),
        Span::styled("· the AWS calls its engine made · i hides ", theme.muted),
    ];
    if hidden > 0 {
        title.push(Span::styled(format!("▲ {hidden} earlier "), theme.warning));
    }
    let lines: Vec<Line> = rows[hidden..]
        .iter()
        .map(|row| line(row, width, theme))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Line::from(title))),
        area,
    );
}

fn line<'a>(row: &Row, width: usize, theme: &Theme) -> Line<'a> {
    let spans = match row {
        Row::Head { what, answer } => {
            let mut spans = vec![Span::styled(what.clone(), theme.code)];
            if let Some(answer) = answer {
                spans.push(Span::styled(format!("  → {answer}"), theme.muted));
            }
            spans
        }
        Row::Call {
            after_ms,
            action,
            user,
            status,
            error_code,
            duration_ms,
        } => {
            let ok = (200..300).contains(status);
            let mut spans = vec![
                Span::styled(format!("{:>8}  ", after(*after_ms)), theme.muted),
                Span::styled(format!("{action:<22}"), theme.accent),
            ];
            let answer = match error_code {
                Some(code) => format!(" {status} {code} "),
                None => format!(" {status} "),
            };
            let timing = took(*duration_ms);
            // The user's name is what gives way to a narrow box, from its end.
            let used = 10 + 22 + answer.width() + timing.width();
            if let Some(user) = user {
                let room = width.saturating_sub(used + 1);
                spans.push(Span::raw(format!("{:<room$}", cut(user, room))));
            } else {
                spans.push(Span::raw(" ".repeat(width.saturating_sub(used + 1))));
            }
            spans.push(Span::styled(
                answer,
                if ok { theme.done } else { theme.failed },
            ));
            spans.push(Span::styled(timing, theme.muted));
            spans
        }
        Row::Note(text) => vec![Span::styled(text.clone(), theme.muted)],
    };
    let mut line = Line::from(spans);
    // One row per call: what does not fit is cut with a mark, never wrapped.
    if line.width() > width {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        line = Line::styled(cut(&text, width), theme.muted);
    }
    line
}

/// `text` in at most `width` columns, its end replaced by `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}
