//! Step 4: the issued credentials and their lease, the secret masked until revealed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use secrecy::ExposeSecret;

use crate::app::App;
use crate::app::steps::issue::{SHOWN, export_lines};
use crate::engines::aws::SECRET_KEY;
use crate::lease::countdown::format_vault_duration;
use crate::ui::status_bar::lease_line;
use crate::ui::theme::Theme;
use crate::ui::widgets::{field, masked};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(creds) = &app.creds else {
        let lines = vec![Line::from(Span::styled(
            "No credentials yet. Enter asks Vault for a new IAM user and its keys.",
            theme.muted,
        ))];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        return;
    };
    // The answer's fields, the secret ones masked until revealed.
    let shown = |name: &str| {
        let value = creds
            .fields
            .get(name)
            .map(|v| v.expose_secret())
            .unwrap_or("");
        if name == SECRET_KEY && !creds.revealed {
            masked(value.chars().count())
        } else {
            value.to_owned()
        }
    };
    let mut lines = vec![
        field("lease_id", creds.lease.id.clone(), theme),
        field(
            "lease_duration",
            format_vault_duration(creds.lease.duration),
            theme,
        ),
        field("renewable", creds.lease.renewable.to_string(), theme),
    ];
    for name in SHOWN {
        lines.push(field(name, shown(name), theme));
    }
    lines.push(Line::raw(""));
    lines.push(lease_line(app, theme));
    for (name, value, secret) in export_lines(app, creds) {
        let value = if secret && !creds.revealed {
            masked(value.chars().count())
        } else {
            value
        };
        lines.push(Line::from(vec![
            Span::styled("export ", theme.muted),
            Span::styled(format!("{name}={value}"), theme.code),
        ]));
    }
    lines.push(Line::from(Span::styled(
        if creds.revealed {
            "v hides the secret key · c copies the export lines"
        } else {
            "v shows the secret key · c copies the export lines"
        },
        theme.muted,
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
