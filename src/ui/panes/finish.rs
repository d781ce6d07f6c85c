//! The last pane: what happened, and what to try next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let done = app.steps_done();
    let mut lines = vec![
        Line::from(Span::styled(
            if done == 6 {
                "All six steps done."
            } else {
                "Not finished yet."
            },
            theme.title,
        )),
        Line::raw(format!("{done} of 6 steps done.")),
        Line::raw(""),
    ];
    if done == 6 {
        lines.push(Line::raw(
            "Vault made an IAM user on request, you used its keys, and revoking the lease deleted the user: the keys died with the lease.",
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Try next", theme.title)));
    lines.push(Line::raw(
        "• Step 3, t: a DescribeInstances-only policy, then generate and test again.",
    ));
    lines.push(Line::raw(
        "• Step 3, t again: deny everything, and watch the test fail.",
    ));
    lines.push(Line::raw(
        "• Do a step with the vault CLI in another terminal: the pane shows it done.",
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
