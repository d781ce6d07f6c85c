//! A probe step's body (test the keys): the engine's use of the credentials, retried
//! while they propagate, saying why it waits.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::steps::issue_hint;
use crate::lab::model::ProbeStep;
use crate::ui::column::Part;
use crate::ui::theme::Theme;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

pub fn part<'a>(
    width: u16,
    app: &'a App,
    step: usize,
    spec: &'a ProbeStep,
    theme: &Theme,
) -> Part<'a> {
    let mut lines = Vec::new();
    match (&app.creds, app.probe(step)) {
        (None, _) => lines.push(Line::from(Span::styled(
            format!("Generate credentials in {} first.", issue_hint(app)),
            theme.muted,
        ))),
        (Some(_), None) => lines.push(Line::from(Span::styled(app.fill(&spec.idle), theme.muted))),
        (Some(_), Some(probe)) => {
            let elapsed = app.probe_elapsed(step).unwrap_or_default().as_secs_f32();
            if let Some(refusal) = &probe.waiting_because {
                lines.push(Line::from(vec![
                    Span::styled(
                        SPINNER[probe.attempt as usize % SPINNER.len()],
                        theme.running,
                    ),
                    Span::raw(format!(" attempt {} · {elapsed:.0} s", probe.attempt)),
                ]));
                lines.push(Line::raw(refusal.waiting.clone()));
            }
            match &probe.result {
                Some(Ok(exchange)) => {
                    lines.push(Line::from(Span::styled(
                        format!("✓ {} (attempt {})", spec.accepted, probe.attempt),
                        theme.done,
                    )));
                    lines.extend(exchange.response.lines().map(|l| Line::raw(l.to_owned())));
                }
                // The step's failure below says it: what, AWS's words, what to do.
                Some(Err(_)) => {}
                None if probe.waiting_because.is_none() => {
                    lines.push(Line::raw(app.fill(&spec.running)))
                }
                None => {}
            }
        }
    }
    Part::text(lines, width)
}
