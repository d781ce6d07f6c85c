//! A request step's body (enable the engine): the lab's facts, and where the step stands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::state::StepStatus;
use crate::lab::model::RequestStep;
use crate::ui::theme::Theme;
use crate::ui::widgets::field;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    step: usize,
    spec: &RequestStep,
    theme: &Theme,
) {
    let state = match app.steps[step].status {
        StepStatus::Done => &spec.done,
        StepStatus::Running => &spec.running,
        _ => &spec.idle,
    };
    let mut lines: Vec<Line> = spec
        .facts
        .iter()
        .map(|(label, value)| field(label, app.fill(value), theme))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::raw(app.fill(state)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
