//! One module per pane. Each step pane shares a frame: title and status, the
//! explanation, the step's own body, then the CLI command and the last exchange.

mod editor;
mod finish;
mod form;
mod issue;
mod leases;
mod overview;
mod probe;
mod request;
mod revoke;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Theme;
use super::widgets::{hanging, one_line, status_badge, wrap_text};
use crate::app::App;
use crate::app::plan::planned_curl;
use crate::app::state::{Pane, StepStatus};
use crate::lab::StepKind;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match app.pane() {
        Pane::Overview => overview::render(frame, area, app, theme),
        Pane::Finish => finish::render(frame, area, app, theme),
        Pane::Leases => leases::render(frame, area, app, theme),
        Pane::Step(index) => step(frame, area, app, index, theme),
    }
}

/// The step's command with the lab's values filled in.
pub fn command(app: &App, template: &str) -> String {
    app.fill(template)
}

fn step(frame: &mut Frame, area: Rect, app: &App, index: usize, theme: &Theme) {
    let lab_step = &app.lab.steps[index];
    let kind = &lab_step.kind;
    let view = &app.steps[index];

    let explain = Paragraph::new(command(app, &lab_step.explain))
        .wrap(Wrap { trim: true })
        .style(theme.muted);
    let explain_height = u16::try_from(explain.line_count(area.width).min(6)).unwrap_or(6);
    // Long commands wrap rather than being cut; the footer takes at most half the pane
    // (its top border included).
    let footer_lines = footer(app, index, area.width, theme);
    let footer_height = u16::try_from(footer_lines.len() + 1)
        .unwrap_or(u16::MAX)
        .min(area.height / 2);
    let [heading, explain_area, body, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(explain_height),
        Constraint::Min(3),
        Constraint::Length(footer_height),
    ])
    .spacing(0)
    .areas(area);

    let heading_line = Line::from(vec![
        Span::styled(
            format!("Step {} of {} · ", index + 1, app.steps.len()),
            theme.muted,
        ),
        Span::styled(lab_step.title.as_str(), theme.title),
        Span::raw("  "),
        status_badge(&view.status, theme),
    ]);
    frame.render_widget(Paragraph::new(heading_line), heading);
    frame.render_widget(explain, explain_area);

    let body_block = Block::new().borders(Borders::TOP).border_style(theme.muted);
    let body_inner = body_block.inner(body);
    frame.render_widget(body_block, body);
    let failure = match &view.status {
        StepStatus::Failed(f) => failure_lines(f, body_inner.width, theme),
        _ => Vec::new(),
    };
    let failure_height = u16::try_from(failure.len())
        .unwrap_or(u16::MAX)
        .min(body_inner.height / 2);
    let [main, failure_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(failure_height)])
            .areas(body_inner);
    match kind {
        StepKind::Request(spec) => request::render(frame, main, app, index, spec, theme),
        StepKind::Form(spec) => form::render(frame, main, app, index, spec, theme),
        StepKind::Editor(spec) => editor::render(frame, main, app, index, spec, theme),
        StepKind::Issue(spec) => issue::render(frame, main, app, spec, theme),
        StepKind::Probe(spec) => probe::render(frame, main, app, index, spec, theme),
        StepKind::Revoke(spec) => revoke::render(frame, main, app, index, spec, theme),
    }
    frame.render_widget(Paragraph::new(failure), failure_area);

    let footer = Paragraph::new(Text::from(footer_lines))
        .block(Block::new().borders(Borders::TOP).border_style(theme.muted));
    frame.render_widget(footer, footer_area);
}

/// A failure wrapped at `width`: what failed, the server's words, what to do next (after
/// its arrow), so the box can be made tall enough that a long message never hides the hint.
fn failure_lines<'a>(
    failure: &crate::app::msg::Failure,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let rows = |text: &str, style| {
        wrap_text(text, usize::from(width))
            .into_iter()
            .map(move |row| Line::from(Span::styled(row, style)))
    };
    let mut lines: Vec<Line> = rows(&failure.what, theme.failed).collect();
    lines.extend(rows(&failure.detail, ratatui::style::Style::default()));
    lines.extend(hanging(
        "→ ",
        theme.key,
        &failure.hint,
        ratatui::style::Style::default(),
        width,
    ));
    lines
}

/// The CLI command (and the older form of it), then what was sent and what came back.
fn footer<'a>(app: &'a App, index: usize, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let lab_step = &app.lab.steps[index];
    let mut lines = hanging(
        "CLI   ",
        theme.muted,
        &command(app, &lab_step.cli),
        theme.code,
        width,
    );
    if let (Some(legacy), Some(note)) = (&lab_step.legacy_cli, &lab_step.legacy_note) {
        lines.extend(hanging(
            "Older ",
            theme.muted,
            &command(app, legacy),
            theme.code,
            width,
        ));
        lines.extend(hanging(
            "      ",
            theme.muted,
            &command(app, note),
            theme.muted,
            width,
        ));
    }
    if let (None, Some(curl)) = (&app.steps[index].exchange, planned_curl(app, index)) {
        lines.extend(hanging("curl  ", theme.muted, &curl, theme.code, width));
    }
    if let Some(exchange) = &app.steps[index].exchange {
        lines.extend(hanging(
            "sent  ",
            theme.muted,
            &exchange.curl,
            theme.code,
            width,
        ));
        let response = one_line(&exchange.response);
        lines.extend(hanging(
            "got   ",
            theme.muted,
            &response,
            ratatui::style::Style::default(),
            width,
        ));
    }
    lines
}
