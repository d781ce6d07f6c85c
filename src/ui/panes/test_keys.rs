//! Step 5: DescribeInstances with the new keys, retried while they propagate.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::ui::theme::Theme;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = Vec::new();
    match (&app.creds, &app.probe) {
        (None, _) => lines.push(Line::from(Span::styled(
            "Generate credentials in step 4 first.",
            theme.muted,
        ))),
        (Some(_), None) => lines.push(Line::from(Span::styled(
            "Enter calls EC2 DescribeInstances signed with the new keys.",
            theme.muted,
        ))),
        (Some(_), Some(probe)) => {
            let elapsed = app.probe_elapsed().unwrap_or_default().as_secs_f32();
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
                        format!("✓ AWS accepted the keys (attempt {})", probe.attempt),
                        theme.done,
                    )));
                    lines.extend(exchange.response.lines().map(|l| Line::raw(l.to_owned())));
                }
                Some(Err(refusal)) => {
                    lines.push(Line::from(Span::styled(
                        format!("✗ {}", refusal.code),
                        theme.failed,
                    )));
                    lines.push(Line::raw(refusal.message.clone()));
                }
                None if probe.waiting_because.is_none() => lines.push(Line::raw("Calling EC2…")),
                None => {}
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
