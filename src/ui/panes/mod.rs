//! One module per pane. Each step pane shares a frame: title and status, the
//! explanation, the step's own body, then the CLI command and the last exchange.

mod enable;
mod finish;
mod generate;
mod leases;
mod overview;
mod policy;
mod revoke;
mod root_keys;
mod test_keys;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Theme;
use super::widgets::status_badge;
use crate::app::App;
use crate::app::plan::planned_curl;
use crate::app::state::{Pane, StepStatus};
use crate::lab::StepKind;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match app.pane() {
        Pane::Overview => overview::render(frame, area, app, theme),
        Pane::Finish => finish::render(frame, area, app, theme),
        Pane::Leases => leases::render(frame, area, app, theme),
        Pane::Step(kind) => step(frame, area, app, kind, theme),
    }
}

/// The step's command with the lab's values filled in.
pub fn command(app: &App, template: &str) -> String {
    app.fill(template)
}

fn step(frame: &mut Frame, area: Rect, app: &App, kind: StepKind, theme: &Theme) {
    let index = App::step_index(kind);
    let lab_step = &app.lab.steps[index];
    let view = app.step(kind);

    let explain = Paragraph::new(command(app, &lab_step.explain))
        .wrap(Wrap { trim: true })
        .style(theme.muted);
    let explain_height = u16::try_from(explain.line_count(area.width).min(6)).unwrap_or(6);
    // Long commands wrap rather than being cut; the footer takes at most half the pane.
    let footer = footer(app, kind, theme);
    let footer_height = u16::try_from(footer.line_count(area.width))
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
        Span::styled(format!("Step {} of 6 · ", index + 1), theme.muted),
        Span::styled(lab_step.title.as_str(), theme.title),
        Span::raw("  "),
        status_badge(&view.status, theme),
    ]);
    frame.render_widget(Paragraph::new(heading_line), heading);
    frame.render_widget(explain, explain_area);

    let body_block = Block::new().borders(Borders::TOP).border_style(theme.muted);
    let body_inner = body_block.inner(body);
    frame.render_widget(body_block, body);
    let failure_height = match &view.status {
        StepStatus::Failed(f) => failure_lines(f, body_inner.width).min(body_inner.height / 2),
        _ => 0,
    };
    let [main, failure] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(failure_height)])
            .areas(body_inner);
    match kind {
        StepKind::EnableEngine => enable::render(frame, main, app, theme),
        StepKind::RootKeys => root_keys::render(frame, main, app, theme),
        StepKind::RolePolicy => policy::render(frame, main, app, theme),
        StepKind::Generate => generate::render(frame, main, app, theme),
        StepKind::TestKeys => test_keys::render(frame, main, app, theme),
        StepKind::Revoke => revoke::render(frame, main, app, theme),
    }
    if let StepStatus::Failed(f) = &view.status {
        let lines = vec![
            Line::from(Span::styled(f.what.as_str(), theme.failed)),
            Line::raw(f.detail.as_str()),
            Line::from(vec![
                Span::styled("→ ", theme.key),
                Span::raw(f.hint.as_str()),
            ]),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), failure);
    }

    frame.render_widget(footer, footer_area);
}

/// Rows a failure takes wrapped at `width`: what failed, the server's words, what to do
/// next (after its arrow), so a long message never hides the hint.
fn failure_lines(failure: &crate::app::msg::Failure, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let total = wrapped_rows(&failure.what, width)
        + wrapped_rows(&failure.detail, width)
        + wrapped_rows(&format!("→ {}", failure.hint), width);
    u16::try_from(total).unwrap_or(u16::MAX)
}

/// Rows `text` takes when wrapped greedily at word boundaries (long words split).
fn wrapped_rows(text: &str, width: usize) -> usize {
    let mut rows = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        let needed = if used == 0 { len } else { used + 1 + len };
        if needed <= width {
            used = needed;
        } else if len <= width {
            rows += 1;
            used = len;
        } else {
            // A word longer than a row is split across rows.
            rows += usize::from(used > 0) + (len - 1) / width;
            used = (len - 1) % width + 1;
        }
    }
    rows
}

/// The CLI command (and the older form of it), then what was sent and what came back.
fn footer<'a>(app: &'a App, kind: StepKind, theme: &Theme) -> Paragraph<'a> {
    let lab_step = &app.lab.steps[App::step_index(kind)];
    let mut lines = vec![Line::from(vec![
        Span::styled("CLI   ", theme.muted),
        Span::styled(command(app, &lab_step.cli), theme.code),
    ])];
    if let (Some(legacy), Some(note)) = (&lab_step.legacy_cli, &lab_step.legacy_note) {
        lines.push(Line::from(vec![
            Span::styled("Older ", theme.muted),
            Span::styled(command(app, legacy), theme.code),
        ]));
        lines.push(Line::from(vec![
            Span::raw("      "),
            Span::styled(command(app, note), theme.muted),
        ]));
    }
    if let (None, Some(curl)) = (&app.step(kind).exchange, planned_curl(app, kind)) {
        lines.push(Line::from(vec![
            Span::styled("curl  ", theme.muted),
            Span::styled(curl, theme.code),
        ]));
    }
    if let Some(exchange) = &app.step(kind).exchange {
        lines.push(Line::from(vec![
            Span::styled("sent  ", theme.muted),
            Span::styled(exchange.curl.as_str(), theme.code),
        ]));
        let response = exchange.response.replace('\n', " ");
        lines.push(Line::from(vec![
            Span::styled("got   ", theme.muted),
            Span::raw(response),
        ]));
    }
    Paragraph::new(Text::from(lines))
        .wrap(Wrap { trim: false })
        .block(Block::new().borders(Borders::TOP).border_style(theme.muted))
}
