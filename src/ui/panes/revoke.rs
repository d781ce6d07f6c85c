//! A revoke step's body: revoke the lease, then the engine's proof that the credentials
//! are dead.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::steps::issue_hint;
use crate::lab::model::RevokeStep;
use crate::lease::Lifecycle;
use crate::ui::column::Part;
use crate::ui::theme::Theme;

pub fn part<'a>(
    width: u16,
    app: &'a App,
    step: usize,
    spec: &'a RevokeStep,
    theme: &Theme,
) -> Part<'a> {
    let mut lines = Vec::new();
    let revoked = app
        .current_lease()
        .is_some_and(|l| matches!(l.state, Lifecycle::Revoked { .. }));
    match (&app.creds, app.proof(step)) {
        (None, _) => lines.push(Line::from(Span::styled(
            format!("Generate credentials in {} first.", issue_hint(app)),
            theme.muted,
        ))),
        (Some(_), None) if !revoked => {
            lines.push(Line::from(Span::styled(app.fill(&spec.idle), theme.muted)))
        }
        (Some(_), None) => lines.push(Line::raw("Revoked. Checking…")),
        (Some(_), Some(shown)) => {
            lines.push(Line::raw(format!("Check {}:", shown.attempt)));
            for line in &shown.proof.lines {
                let (mark, style) = if line.ok {
                    ("✓ ", theme.done)
                } else {
                    ("… ", theme.running)
                };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::raw(line.text.clone()),
                ]));
            }
        }
    }
    Part::text(lines, width)
}
