//! The frame's title, the mode badge and the row of step tabs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use super::widgets::step_mark;
use crate::app::App;
use crate::app::state::{Mode, Pane};

/// The frame's title: vaultlab and the lab's title, or vaultlab alone when the lab's title
/// would run into the mode badge (which says where requests go: it always stays whole).
pub fn title<'a>(app: &'a App, theme: &Theme, width: u16) -> Line<'a> {
    let full = Line::from(vec![
        Span::styled(" vaultlab ", theme.accent),
        Span::raw("· "),
        Span::styled(app.lab.title.as_str(), theme.title),
        Span::raw(" "),
    ]);
    // In a workshop room, the room and the seat in place of the lab's title; the seat
    // alone when short of room.
    let seat = |with_room: bool| {
        app.room.as_ref().map(|r| {
            let room = match with_room {
                true => format!("· room {} · seat ", r.title),
                false => "· seat ".to_owned(),
            };
            Line::from(vec![
                Span::styled(" vaultlab ", theme.accent),
                Span::raw(room),
                Span::styled(r.seat.as_str(), theme.title),
                Span::raw(" "),
            ])
        })
    };
    // Within the two corners; both end in a space of their own.
    let room = usize::from(width).saturating_sub(2);
    // The badge without what it adds only when there is room (what local mode started).
    let badge = mode_badge(app, theme, 0).width();
    let fits = |line: &Line| line.width() + badge <= room;
    match (seat(true), seat(false)) {
        (Some(whole), _) if fits(&whole) => whole,
        (Some(_), Some(short)) if fits(&short) => short,
        (None, _) if fits(&full) => full,
        _ => Line::from(Span::styled(" vaultlab ", theme.accent)),
    }
}

/// Always visible: where the lab's requests go, and, in local mode, what vaultlab
/// started when the top border has room for it beside the title.
pub fn mode_badge<'a>(app: &'a App, theme: &Theme, room: usize) -> Line<'a> {
    let mode = match app.connection.mode {
        Mode::Sandbox => "SANDBOX",
        Mode::Local { .. } => "LOCAL",
        Mode::Live => "LIVE",
    };
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(mode, theme.selected),
        Span::raw(" "),
        Span::raw(app.connection.vault_addr.as_str()),
    ];
    if let Some(namespace) = &app.connection.namespace {
        spans.push(Span::raw(format!(" ns={namespace}")));
    }
    spans.push(Span::raw(" "));
    if let Mode::Local { started } = &app.connection.mode {
        // In full, else by name only (`OpenBao + PostgreSQL`), else not at all.
        let full = format!("· {} ", started.join(", "));
        let names: Vec<&str> = started
            .iter()
            .filter_map(|s| s.split_whitespace().next())
            .collect();
        let short = format!("· {} ", names.join(" + "));
        let width: usize = spans.iter().map(|s| s.content.width()).sum();
        if let Some(text) = [full, short]
            .into_iter()
            .find(|text| width + text.width() <= room)
        {
            spans.push(Span::styled(text, theme.muted));
        }
    }
    Line::from(spans)
}

/// A tab's text; `compact` leaves a step's name out (`2 ✓`) when the row is short of room.
fn tab_label(app: &App, pane: Pane, compact: bool) -> String {
    match pane {
        Pane::Overview => "Overview".to_owned(),
        Pane::Finish => "Finish".to_owned(),
        Pane::Leases => match app.revocable_leases() {
            0 => "Leases".to_owned(),
            alive => format!("Leases ({alive})"),
        },
        Pane::Step(step) => {
            let mark = step_mark(app, step);
            let number = step + 1;
            if compact {
                format!("{number}{mark}")
            } else {
                format!("{number} {}{mark}", app.lab.steps[step].tab)
            }
        }
    }
}

/// Every tab with its full name when they fit; otherwise the steps other than the
/// current one shrink to their number and mark, so the Leases tab is never cut off.
fn tab_labels(app: &App, width: u16) -> Vec<(Pane, String)> {
    let labels = |compact: bool| -> Vec<(Pane, String)> {
        Pane::all(app.steps.len())
            .map(|pane| {
                let compact = compact && pane != app.pane;
                (pane, format!(" {} ", tab_label(app, pane, compact)))
            })
            .collect()
    };
    let full = labels(false);
    let full_width: usize = full.iter().map(|(_, label)| label.width()).sum();
    if full_width <= usize::from(width) {
        full
    } else {
        labels(true)
    }
}

pub fn render_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let spans: Vec<Span> = tab_labels(app, area.width)
        .into_iter()
        .map(|(pane, label)| {
            let style = if pane == app.pane {
                theme.selected
            } else {
                theme.muted
            };
            Span::styled(label, style)
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
