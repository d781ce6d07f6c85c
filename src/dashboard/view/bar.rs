//! The bottom line: the last action's outcome (the notice), then the keys that work here,
//! the kept ones always, the others while there is room. A notice too long to sit beside
//! the kept keys gets up to two rows of its own above the bar, as in the lab.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::dashboard::Dashboard;
use crate::dashboard::keys::{Binding, bindings};
use crate::ui::Theme;
use crate::ui::widgets::wrap_text;

const SEPARATOR: usize = 3;

fn hint_width(b: &Binding) -> usize {
    b.keys.width() + 1 + b.description.width()
}

fn kept_width(hints: &[Binding]) -> usize {
    hints
        .iter()
        .filter(|h| h.kept)
        .map(|h| hint_width(h) + SEPARATOR)
        .sum()
}

fn notice_inline(d: &Dashboard, width: u16) -> bool {
    d.notice
        .as_ref()
        .is_none_or(|n| n.width() + 2 + kept_width(&bindings(d)) < usize::from(width))
}

/// Rows the notice takes above the bar.
pub fn notice_rows(d: &Dashboard, width: u16) -> u16 {
    match &d.notice {
        Some(notice) if !notice_inline(d, width) => {
            wrap_text(notice, usize::from(width)).len().clamp(1, 2) as u16
        }
        _ => 0,
    }
}

pub fn render_notice(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let Some(notice) = d.notice.as_ref().filter(|_| area.height > 0) else {
        return;
    };
    let width = usize::from(area.width);
    let mut rows = wrap_text(notice, width);
    if rows.len() > 2 {
        let rest = rows[1..].join(" ");
        rows.truncate(1);
        rows.push(truncate(&rest, width));
    }
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|row| Line::styled(row, theme.warning))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

pub fn render(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let hints = bindings(d);
    let width = usize::from(area.width);
    let mut room = width.saturating_sub(kept_width(&hints));
    let mut spans = Vec::new();
    if let Some(notice) = d.notice.as_ref().filter(|_| notice_inline(d, area.width)) {
        room = room.saturating_sub(notice.width() + 2);
        spans.push(Span::styled(format!("{notice}  "), theme.warning));
    }
    let mut shown = Vec::new();
    for hint in &hints {
        if hint.kept {
            shown.push(hint);
        } else if hint_width(hint) + SEPARATOR <= room {
            room -= hint_width(hint) + SEPARATOR;
            shown.push(hint);
        }
    }
    let mut keys = Vec::new();
    for (index, hint) in shown.into_iter().enumerate() {
        if index > 0 {
            keys.push(Span::styled(" · ", theme.muted));
        }
        keys.push(Span::styled(hint.keys, theme.key));
        keys.push(Span::raw(format!(" {}", hint.description)));
    }
    let keys_width: usize = keys.iter().map(|s| s.content.width()).sum();
    let notice_width: usize = spans.iter().map(|s| s.content.width()).sum();
    let pad = width.saturating_sub(keys_width + notice_width);
    spans.push(Span::raw(" ".repeat(pad)));
    spans.extend(keys);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `text` cut to `width` columns, ending in `…` when something was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}
