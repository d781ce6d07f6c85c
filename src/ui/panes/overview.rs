//! Pane 0: what the lab is about, where it runs, and how far along it is.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::state::Mode;
use crate::lab::StepKind;
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
    let whereabouts = match app.connection.mode {
        Mode::Sandbox => format!(
            "Running on vaultlab's own sandbox at {}: a Vault-compatible server and an AWS-compatible endpoint on this machine. No real AWS account is touched.",
            app.connection.vault_addr
        ),
        Mode::Live => format!(
            "Running against your Vault at {} and a real AWS API. Generated IAM users are real: revoke what you create.",
            app.connection.vault_addr
        ),
    };
    lines.push(Line::raw(whereabouts));
    if !app.cli_env.is_empty() {
        lines.push(Line::from(Span::styled(
            "To use the real vault (or bao) and aws CLIs too, in another terminal:",
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
    lines.push(Line::raw(""));
    for (index, kind) in StepKind::ORDER.iter().enumerate() {
        let step = &app.lab.steps[index];
        lines.push(Line::from(vec![
            Span::raw(format!("  {}. {:<34} ", index + 1, step.title)),
            status_badge(&app.step(*kind).status, theme),
        ]));
    }
    lines.push(Line::raw(""));
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
