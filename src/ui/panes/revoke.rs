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
        (Some(_), Some(proof)) => {
            lines.push(Line::raw(format!("Check {}:", proof.attempt)));
            lines.push(match &proof.refused_with {
                Some(code) => Line::from(vec![
                    Span::styled("✓ ", theme.done),
                    Span::raw(format!("DescribeInstances with the old keys: refused ({code})")),
                ]),
                None => Line::from(vec![
                    Span::styled("… ", theme.running),
                    Span::raw("DescribeInstances with the old keys still works: Vault revokes in the background"),
                ]),
            });
            lines.push(if proof.user_gone {
                Line::from(vec![Span::styled("✓ ", theme.done), Span::raw("The IAM user Vault made is gone")])
            } else {
                Line::from(vec![Span::styled("… ", theme.running), Span::raw("The IAM user is still there")])
            });
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
