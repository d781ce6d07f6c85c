//! The bottom line on every pane: the lease countdown, a notice, the keys that work here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use super::widgets::{short_lease_id, wrap_text};
use crate::app::App;
use crate::app::keymap::{Action, bindings};
use crate::app::state::Pane;
use crate::lease::Lifecycle;

/// The lease that matters (the current credentials' while it may be alive, else one still
/// alive before one that ended) and its countdown, and how many others may be alive.
pub fn lease_line<'a>(app: &App, theme: &Theme) -> Line<'a> {
    lease_summary(app, theme, true)
}

/// The lease line; without its id (`lease 31d 23:59:58 +2`) when `with_id` is false, for
/// a bar short of room.
fn lease_summary<'a>(app: &App, theme: &Theme, with_id: bool) -> Line<'a> {
    let shown = app.lease_that_matters();
    let others = app
        .leases
        .revocable(app.now)
        .filter(|l| Some(l.lease_id.as_str()) != shown.map(|s| s.lease_id.as_str()))
        .count();
    let mut line = match shown {
        None if with_id => Line::from(Span::styled("no lease yet", theme.muted)),
        None => Line::default(),
        Some(lease) => {
            let style = match lease.state {
                _ if lease.is_expired(app.now) => theme.failed,
                Lifecycle::Active => theme.done,
                Lifecycle::Revoking | Lifecycle::RevokeQueued { .. } | Lifecycle::Checking => {
                    theme.running
                }
                _ => theme.failed,
            };
            let mut spans = vec![Span::styled("lease ", theme.muted)];
            if with_id {
                spans.push(Span::raw(format!("{} ", short_lease_id(&lease.lease_id))));
            }
            spans.push(Span::styled(lease.label(app.now), style));
            Line::from(spans)
        }
    };
    if others > 0 {
        let more = match (with_id, shown) {
            (true, _) => format!(" +{others} more"),
            (false, Some(_)) => format!(" +{others}"),
            (false, None) => format!("leases +{others}"),
        };
        line.push_span(Span::styled(more, theme.warning));
    }
    line
}

/// One key hint of the bar.
struct Hint {
    keys: String,
    description: String,
    /// Kept whatever the room: the key that moves the lab on, help, quit, a prompt's keys.
    kept: bool,
}

impl Hint {
    fn width(&self, form: Form) -> usize {
        self.keys.width() + 1 + self.text(form).width()
    }

    /// The description in `form`: whole; short (`Enter run`, `n next`, a prompt's words
    /// up to their first comma); or its first word.
    fn text(&self, form: Form) -> &str {
        let short = match self.keys.as_str() {
            "Enter" => "run",
            "n →" => "next",
            "m" => "message",
            _ => self.description.split(',').next().unwrap_or_default(),
        };
        match form {
            Form::Whole => &self.description,
            Form::Short => short,
            Form::Word => short.split(' ').next().unwrap_or_default(),
        }
    }
}

/// How much of a kept key's description the bar shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Whole,
    Short,
    Word,
}

const SEPARATOR: usize = 3;

/// Whether a binding's hint must stay on the bar.
fn kept(action: Action, pane: Pane, over_a_prompt: bool) -> bool {
    use Action::*;
    match action {
        // The leases pane is the last: `n` goes nowhere from there.
        NextPane => pane != Pane::Leases,
        RunStep | StartEditing | StopEditing | CloseLeases | ToggleHelp | ShowMessage
        | CloseMessage => true,
        Quit => !over_a_prompt,
        _ => over_a_prompt,
    }
}

/// The bar's key hints, each marked whether it must stay.
/// `m` (the message whole) only when the message is cut: `with_message`.
fn hints(app: &App, with_message: bool) -> Vec<Hint> {
    let over_a_prompt = app.overlay.is_some();
    bindings(app)
        .into_iter()
        .filter(|b| !b.keys.is_empty())
        .filter(|b| with_message || b.action != Action::ShowMessage)
        .map(|b| Hint {
            kept: kept(b.action, app.pane(), over_a_prompt),
            keys: b.keys,
            description: b.description,
        })
        // On stage, only the keys that move the lab on.
        .filter(|h| h.kept || !app.stage.presenting)
        .collect()
}

fn kept_width(hints: &[Hint], form: Form) -> usize {
    hints
        .iter()
        .filter(|h| h.kept)
        .map(|h| h.width(form) + SEPARATOR)
        .sum()
}

/// Whether the notice fits on the bar whole, beside the kept keys in full and the lease
/// without its id. When it does not, it has rows of its own above the bar.
fn notice_inline(app: &App, theme: &Theme, width: u16) -> bool {
    app.notice.as_ref().is_none_or(|notice| {
        notice.width()
            + 2
            + kept_width(&hints(app, false), Form::Whole)
            + lease_summary(app, theme, false).width()
            < usize::from(width)
    })
}

/// Rows the notice takes above the bar: none when it fits on the bar, else as many as it
/// wraps to, two at most (`m` shows the rest).
pub fn notice_rows(app: &App, theme: &Theme, width: u16) -> u16 {
    match &app.notice {
        Some(notice) if !notice_inline(app, theme, width) => {
            wrap_text(notice, usize::from(width)).len().clamp(1, 2) as u16
        }
        _ => 0,
    }
}

/// Whether the notice is cut somewhere: past the two rows above the bar.
fn notice_cut(app: &App, theme: &Theme, width: u16) -> bool {
    app.notice.as_ref().is_some_and(|notice| {
        !notice_inline(app, theme, width) && wrap_text(notice, usize::from(width)).len() > 2
    })
}

/// The notice on its own rows above the bar, its second row cut with `… m` past two.
pub fn render_notice(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(notice) = &app.notice else { return };
    let width = usize::from(area.width);
    let mut rows = wrap_text(notice, width);
    if rows.len() > 2 {
        let rest = rows[1..].join(" ");
        rows.truncate(1);
        rows.push(format!("{} m", truncate(&rest, width.saturating_sub(2))));
    }
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|row| Line::from(Span::styled(row, theme.warning)))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Left to right: the lease, a notice, the keys. Room is given in this order: the kept
/// keys, the lease (its id kept by shortening the kept keys' words, `Enter run`, then
/// dropped if it must), the notice (when it fits whole; else it is above the bar), then
/// the other keys in their order, while the kept ones are whole.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let width = usize::from(area.width);
    let hints = hints(app, notice_cut(app, theme, area.width));
    let notice = app
        .notice
        .as_ref()
        .filter(|_| notice_inline(app, theme, area.width));
    let notice_room = notice.map_or(0, |notice| notice.width() + 2);
    let fits =
        |form: Form, lease: &Line| kept_width(&hints, form) + lease.width() + notice_room < width;
    let (full, compact) = (
        lease_summary(app, theme, true),
        lease_summary(app, theme, false),
    );
    // Which lease the countdown is of outweighs the words of a kept key: "Enter run".
    let (form, lease) = if fits(Form::Whole, &full) {
        (Form::Whole, full)
    } else if fits(Form::Short, &full) {
        (Form::Short, full)
    } else if fits(Form::Whole, &compact) {
        (Form::Whole, compact)
    } else if fits(Form::Short, &compact) {
        (Form::Short, compact)
    } else {
        (Form::Word, compact)
    };
    let lease_width = lease.width() + usize::from(lease.width() > 0);
    let mut room = width.saturating_sub(lease_width + kept_width(&hints, form));

    let mut spans = Vec::new();
    if let Some(notice) = notice {
        let cut = truncate(notice, room.saturating_sub(2));
        room = room.saturating_sub(cut.width() + 2);
        spans.push(Span::styled(format!("{cut}  "), theme.warning));
    }
    let mut shown = Vec::new();
    for hint in &hints {
        if hint.kept {
            shown.push(hint);
        } else if form == Form::Whole && hint.width(Form::Whole) + SEPARATOR <= room {
            room -= hint.width(Form::Whole) + SEPARATOR;
            shown.push(hint);
        }
    }
    for (index, hint) in shown.into_iter().enumerate() {
        if index > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(hint.keys.clone(), theme.key));
        let text = hint.text(if hint.kept { form } else { Form::Whole });
        spans.push(Span::raw(format!(" {text}")));
    }
    let [left, right] = Layout::horizontal([
        Constraint::Length(u16::try_from(lease_width).unwrap_or(u16::MAX)),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lease), left);
    frame.render_widget(Paragraph::new(Line::from(spans)).right_aligned(), right);
}

/// `text` cut to `width` columns, ending in `…` when something was cut.
fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let ch_width = ch.width().unwrap_or(0);
        if used + ch_width + 1 > width {
            break;
        }
        out.push(ch);
        used += ch_width;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn long_notices_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a longer notice", 8), "a longe…");
        assert_eq!(truncate("anything", 0), "…");
    }
}
