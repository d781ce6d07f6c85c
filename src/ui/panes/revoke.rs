//! Step 6: revoke the lease, then show that the keys are dead and the user gone.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::lease::Lifecycle;
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = Vec::new();
    match (&app.creds, &app.proof) {
        (None, _) => lines.push(Line::from(Span::styled(
            "Generate credentials in step 4 first.",
            theme.muted,
        ))),
        (Some(_), None) if !app.current_lease().is_some_and(|l| matches!(l.state, Lifecycle::Revoked { .. })) => lines.push(Line::from(Span::styled(
            "Enter revokes the lease, then checks that AWS refuses the keys and that the IAM user is gone.",
            theme.muted,
        ))),
        (Some(_), None) => lines.push(Line::raw("Revoked. Checking…")),
        (Some(_), Some(shown)) => {
            lines.push(Line::raw(format!("Check {}:", shown.attempt)));
            for line in &shown.proof.lines {
                lines.push(if line.ok {
                    Line::from(vec![
                        Span::styled("✓ ", theme.done),
                        Span::raw(line.text.clone()),
                    ])
                } else {
                    Line::from(vec![
                        Span::styled("… ", theme.running),
                        Span::raw(line.text.clone()),
                    ])
                });
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
