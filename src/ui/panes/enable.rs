//! Step 1: mount the AWS secrets engine.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::state::StepStatus;
use crate::lab::StepKind;
use crate::ui::theme::Theme;
use crate::ui::widgets::field;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mount = format!("{}/", app.lab.mount);
    let state = match app.step(StepKind::EnableEngine).status {
        StepStatus::Done => format!("The AWS secrets engine is mounted at {mount}."),
        StepStatus::Running => "Mounting…".to_owned(),
        _ => format!("Nothing is mounted at {mount} yet. Enter mounts the engine there."),
    };
    let lines = vec![
        field("Mount path", mount.clone(), theme),
        Line::raw(""),
        Line::raw(state),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
