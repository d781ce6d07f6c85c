//! Pane 0: what the lab is about, where it runs, and how far along it is.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::state::Mode;
use crate::checks::Verdict;
use crate::ui::theme::Theme;
use crate::ui::widgets::{masked, status_badge};
use secrecy::ExposeSecret;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![
        Line::from(Span::styled(app.lab.title.as_str(), theme.title)),
        Line::raw(""),
        Line::raw(app.lab.summary.as_str()),
        Line::raw(""),
    ];
    let words = &app.lab.words;
    let whereabouts = match app.connection.mode {
        Mode::Sandbox => &words.sandbox,
        Mode::Live => &words.live,
    };
    lines.push(Line::raw(app.fill(whereabouts)));
    lines.push(Line::raw(""));
    // The doctor's checks: one line when all is well, the details of what is not.
    match &app.doctor {
        None => lines.push(Line::from(Span::styled(
            "Checking that the lab can run here…",
            theme.muted,
        ))),
        Some(checks) => {
            let troubled: Vec<_> = checks
                .iter()
                .filter(|c| c.verdict != Verdict::Pass)
                .collect();
            let passed = checks.len() - troubled.len();
            lines.push(Line::from(vec![
                Span::styled("✓ ", theme.done),
                Span::raw(format!(
                    "{passed} of {} checks pass ({}); d runs them again",
                    checks.len(),
                    words.checks
                )),
            ]));
            for check in troubled {
                let (mark, style) = match check.verdict {
                    Verdict::Warn => ("! ", theme.warning),
                    _ => ("✗ ", theme.failed),
                };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::raw(check.what.clone()),
                ]));
                if let Some(fix) = &check.fix {
                    lines.push(Line::from(vec![
                        Span::styled("  → ", theme.key),
                        Span::raw(fix.clone()),
                    ]));
                }
            }
        }
    }
    lines.push(Line::raw(""));
    for (index, step) in app.lab.steps.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::raw(format!("  {}. {:<34} ", index + 1, step.title)),
            status_badge(&app.steps[index].status, theme),
        ]));
    }
    lines.push(Line::raw(""));
    if !app.cli_env.is_empty() {
        lines.push(Line::from(Span::styled(
            app.fill(&words.second_terminal),
            theme.muted,
        )));
        for var in &app.cli_env {
            let value = if var.secret && !app.cli_env_revealed {
                masked(var.value.expose_secret().chars().count())
            } else {
                var.value.expose_secret().to_owned()
            };
            lines.push(Line::from(vec![
                Span::styled("  export ", theme.muted),
                Span::styled(format!("{}={value}", var.name), theme.code),
            ]));
        }
    }
    lines.push(Line::from(vec![
        Span::styled("n", theme.key),
        Span::raw(" or "),
        Span::styled("→", theme.key),
        Span::raw(" goes to the first step; "),
        Span::styled("Enter", theme.key),
        Span::raw(" runs a step; "),
        Span::styled("?", theme.key),
        Span::raw(" lists every key."),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
