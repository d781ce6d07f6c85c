//! What is drawn over the panes: the help and the quit prompt.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::Theme;
use super::widgets::short_lease_id;
use crate::app::App;
use crate::app::keymap::pane_bindings;
use crate::app::state::Overlay;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    match app.overlay {
        None => {}
        Some(Overlay::Help) => help(frame, app, theme),
        Some(Overlay::ConfirmQuit) => confirm_quit(frame, app, theme),
    }
}

fn help(frame: &mut Frame, app: &App, theme: &Theme) {
    let mut lines = vec![
        Line::from(Span::styled("Keys on this pane", theme.title)),
        Line::raw(""),
    ];
    for binding in pane_bindings(app) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>8}  ", binding.keys), theme.key),
            Span::raw(binding.description),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "Text inputs take keys only while editing: e starts, Esc stops.",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "Any key closes this help.",
        theme.muted,
    )));
    let area = centered(frame.area(), 66, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Help ")),
        area,
    );
}

fn confirm_quit(frame: &mut Frame, app: &App, theme: &Theme) {
    let lease = app
        .active_lease()
        .map(|lease| {
            format!(
                "{} ({} left)",
                short_lease_id(&lease.lease_id),
                lease.label(app.now)
            )
        })
        .unwrap_or_default();
    let lines = vec![
        Line::from(Span::styled("A lease is still active", theme.warning)),
        Line::raw(lease),
        Line::raw("Its IAM user and keys stay in AWS until the lease is revoked or expires."),
        Line::raw(""),
        Line::from(vec![
            Span::styled("r", theme.key),
            Span::raw(" revoke it and quit   "),
            Span::styled("k", theme.key),
            Span::raw(" keep it and quit   "),
            Span::styled("Esc", theme.key),
            Span::raw(" stay"),
        ]),
    ];
    let area = centered(frame.area(), 76, 7);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Quit? ")),
        area,
    );
}
