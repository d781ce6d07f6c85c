//! A request step's body (enable the engine): the lab's facts, and where the step stands.

use ratatui::text::Line;

use crate::app::App;
use crate::app::state::StepStatus;
use crate::lab::model::RequestStep;
use crate::ui::column::Part;
use crate::ui::theme::Theme;
use crate::ui::widgets::field;

pub fn part<'a>(
    width: u16,
    app: &'a App,
    step: usize,
    spec: &'a RequestStep,
    theme: &Theme,
) -> Part<'a> {
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
    Part::text(lines, width)
}
