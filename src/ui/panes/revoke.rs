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
    // Vault's answer before the first look at the keys: finished, or only queued.
    let answered = app.current_lease().and_then(|l| match l.state {
        Lifecycle::Revoked { .. } => Some("Revoked. Checking the keys…"),
        Lifecycle::RevokeQueued { .. } => Some("Vault queued the revocation. Checking the keys…"),
        _ => None,
    });
    match (&app.creds, app.proof(step)) {
        (None, _) => lines.push(Line::from(Span::styled(
            format!("Generate credentials in {} first.", issue_hint(app)),
            theme.muted,
        ))),
        (Some(_), None) => match answered {
            Some(words) => lines.push(Line::raw(words)),
            None => lines.push(Line::from(Span::styled(app.fill(&spec.idle), theme.muted))),
        },
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
