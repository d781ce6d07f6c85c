//! The last pane: what happened, and what to try next, in the lab's words.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::scroll::Room;
use crate::ui::column::{Column, Part};
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Room {
    let finish = &app.lab.finish;
    let done = app.steps_done();
    let all = app.steps.len();
    let mut lines = vec![
        Line::from(Span::styled(
            if done == all {
                app.fill(&finish.done)
            } else {
                "Not finished yet.".to_owned()
            },
            theme.title,
        )),
        Line::raw(format!("{done} of {all} steps done{}.", by_record(app))),
        Line::raw(""),
    ];
    if done == all {
        lines.push(Line::raw(app.fill(&finish.summary)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Try next", theme.title)));
    for idea in &finish.try_next {
        lines.push(Line::raw(format!("• {}", app.fill(idea))));
    }
    let mut column = Column::default();
    column.push(Part::text(lines, area.width));
    column.render(frame, area, app.scroll.get(app.pane), theme)
}

/// Which of the steps counted done are the room's record, not this run's (a rejoined
/// seat): ` (steps 4, 5 and 6 by the room's record, before this run)`, or nothing.
fn by_record(app: &App) -> String {
    let steps: Vec<String> = crate::app::room::done_by_record(app)
        .into_iter()
        .map(|step| (step + 1).to_string())
        .collect();
    let list = match steps.as_slice() {
        [] => return String::new(),
        [one] => format!("step {one}"),
        [rest @ .., last] => format!("steps {} and {last}", rest.join(", ")),
    };
    format!(" ({list} by the room's record, before this run)")
}
