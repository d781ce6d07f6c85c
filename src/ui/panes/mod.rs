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
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::column::{Column, Part};
use super::theme::Theme;
use super::widgets::{hanging, one_line, step_badge, wrap_text};
use crate::app::App;
use crate::app::plan::planned_curl;
use crate::app::scroll::Room;
use crate::app::state::{Pane, StepStatus};
use crate::lab::StepKind;

/// Draws the focused pane; returns what its content measured, for scrolling.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Room {
    match app.pane() {
        Pane::Overview => overview::render(frame, area, app, theme),
        Pane::Finish => finish::render(frame, area, app, theme),
        Pane::Leases => leases::render(frame, area, app, theme),
        Pane::Step(index) => step(frame, area, app, index, theme),
    }
}

/// The step's command with the lab's values filled in.
pub fn command(app: &App, template: &str) -> String {
    app.fill_shown(template)
}

/// A step pane: its heading stays; below it one column scrolls: the explanation, the
/// step's own part (the anchor Enter scrolls to), a failure, then the commands, which
/// sit at the bottom when everything fits.
fn step(frame: &mut Frame, area: Rect, app: &App, index: usize, theme: &Theme) -> Room {
    let lab_step = &app.lab.steps[index];
    let view = &app.steps[index];
    let [heading, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let heading_line = Line::from(vec![
        Span::styled(
            format!("Step {} of {} · ", index + 1, app.steps.len()),
            theme.muted,
        ),
        Span::styled(lab_step.title.as_str(), theme.title),
        Span::raw("  "),
        step_badge(app, index, theme),
    ]);
    frame.render_widget(Paragraph::new(heading_line), heading);

    let width = rest.width;
    let mut column = Column::default();
    column.push(Part::text(
        vec![Line::styled(command(app, &lab_step.explain), theme.muted)],
        width,
    ));
    if let Some(at) = crate::app::room::done_in_room(app, index) {
        let said = format!(
            "The room saw this step done at {} UTC, before this run (the facilitator's dashboard shows it done); {}",
            at.format("%H:%M"),
            crate::app::room::again_here(app, index)
        );
        column.push(Part::text(
            wrap_text(&said, usize::from(width))
                .into_iter()
                .map(|row| Line::styled(row, theme.done))
                .collect(),
            width,
        ));
    }
    column.push(rule(theme));
    column.mark_anchor();
    column.push(body(app, index, width, rest.height, theme));
    if let StepStatus::Failed(failure) = &view.status {
        column.push(Part::text(failure_lines(failure, width, theme), width));
    }
    column.mark_flex();
    column.push(rule(theme));
    column.push(Part::text(footer(app, index, width, theme), width));
    column.render(frame, rest, app.scroll.get(app.pane), theme)
}

/// The step's own part, by its kind.
fn body<'a>(app: &'a App, index: usize, width: u16, visible: u16, theme: &Theme) -> Part<'a> {
    match &app.lab.steps[index].kind {
        StepKind::Request(spec) => request::part(width, app, index, spec, theme),
        StepKind::Form(spec) => form::part(width, app, index, spec, theme),
        StepKind::Editor(spec) => editor::part(width, visible, app, index, spec, theme),
        StepKind::Issue(spec) => issue::part(width, app, spec, theme),
        StepKind::Probe(spec) => probe::part(width, app, index, spec, theme),
        StepKind::Revoke(spec) => revoke::part(width, app, index, spec, theme),
    }
}

/// A thin rule between the parts of a step.
fn rule<'a>(theme: &Theme) -> Part<'a> {
    let style = theme.muted;
    Part::widget(1, move |buf, area| {
        Block::new()
            .borders(Borders::TOP)
            .border_style(style)
            .render(area, buf);
    })
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
