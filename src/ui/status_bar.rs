//! The bottom line on every pane: the lease countdown, a notice, the keys that work here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use super::widgets::short_lease_id;
use crate::app::App;
use crate::app::keymap::bindings;
use crate::lease::Lifecycle;

/// The lease that matters (the current credentials' while it may be alive, else one still
/// alive before one that ended) and its countdown, and how many others may be alive.
pub fn lease_line<'a>(app: &App, theme: &Theme) -> Line<'a> {
    let shown = app.lease_that_matters();
    let others = app
        .leases
        .revocable(app.now)
        .filter(|l| Some(l.lease_id.as_str()) != shown.map(|s| s.lease_id.as_str()))
        .count();
    let mut line = match shown {
        None => Line::from(Span::styled("no lease yet", theme.muted)),
        Some(lease) => {
            let style = match lease.state {
                _ if lease.is_expired(app.now) => theme.failed,
                Lifecycle::Active => theme.done,
                Lifecycle::Revoking | Lifecycle::Checking => theme.running,
                _ => theme.failed,
            };
            Line::from(vec![
                Span::styled("lease ", theme.muted),
                Span::raw(short_lease_id(&lease.lease_id)),
                Span::raw(" "),
                Span::styled(lease.label(app.now), style),
            ])
        }
    };
    if others > 0 {
        line.push_span(Span::styled(format!(" +{others} more"), theme.warning));
    }
    line
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let lease = lease_line(app, theme);
    let lease_width = lease.width() as u16 + 1;
    let [left, right] =
        Layout::horizontal([Constraint::Length(lease_width), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(lease), left);

    // Hints in order while they fit; the last two (help, quit) always stay.
    let all: Vec<_> = bindings(app)
        .into_iter()
        .filter(|b| !b.keys.is_empty())
        .collect();
    let hint_width = |b: &crate::app::keymap::Binding| {
        b.keys.chars().count() + b.description.chars().count() + 4
    };
    let reserved: usize = all.iter().rev().take(2).map(hint_width).sum();
    let mut spans = Vec::new();
    if let Some(notice) = &app.notice {
        // A long notice is cut (the pane says it in full) so help and quit stay visible.
        let room = (right.width as usize).saturating_sub(reserved + 3);
        spans.push(Span::styled(
            format!("{}  ", truncate(notice, room)),
            theme.warning,
        ));
    }
    let mut budget =
        (right.width as usize).saturating_sub(reserved + Line::from(spans.clone()).width());
    let (head, tail) = all.split_at(all.len().saturating_sub(2));
    let mut shown: Vec<_> = Vec::new();
    for binding in head {
        let width = hint_width(binding);
        if width > budget {
            break;
        }
        budget -= width;
        shown.push(binding);
    }
    shown.extend(tail);
    for (index, binding) in shown.into_iter().enumerate() {
        if index > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(binding.keys.clone(), theme.key));
        spans.push(Span::raw(format!(" {}", binding.description)));
    }
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
