//! The frame's title, the mode badge and the row of step tabs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::widgets::status_mark;
use crate::app::App;
use crate::app::state::{Mode, PANE_COUNT, Pane};

pub fn title<'a>(app: &'a App, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(" vaultlab ", theme.accent),
        Span::raw("· "),
        Span::styled(app.lab.title.as_str(), theme.title),
        Span::raw(" "),
    ])
}

/// Always visible: where the lab's requests go.
pub fn mode_badge<'a>(app: &'a App, theme: &Theme) -> Line<'a> {
    let mode = match app.connection.mode {
        Mode::Sandbox => "SANDBOX",
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
    Line::from(spans)
}

fn tab_label(app: &App, index: usize) -> String {
    match Pane::at(index) {
        Pane::Overview => "Overview".to_owned(),
        Pane::Finish => "Finish".to_owned(),
        Pane::Leases => match app.revocable_leases() {
            0 => "Leases".to_owned(),
            alive => format!("Leases ({alive})"),
        },
        Pane::Step(kind) => {
            let short = match kind {
                crate::lab::StepKind::EnableEngine => "Enable",
                crate::lab::StepKind::RootKeys => "Root keys",
                crate::lab::StepKind::RolePolicy => "Policy",
                crate::lab::StepKind::Generate => "Generate",
                crate::lab::StepKind::TestKeys => "Test",
                crate::lab::StepKind::Revoke => "Revoke",
            };
            format!("{index} {short}{}", status_mark(&app.step(kind).status))
        }
    }
}

pub fn render_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    for index in 0..PANE_COUNT {
        let label = format!(" {} ", tab_label(app, index));
        let style = if index == app.pane {
            theme.selected
        } else {
            theme.muted
        };
        spans.push(Span::styled(label, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
