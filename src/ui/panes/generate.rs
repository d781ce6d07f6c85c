//! Step 4: the issued credentials and their lease, the secret masked until revealed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use secrecy::ExposeSecret;

use crate::app::App;
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
    let secret = if creds.revealed {
        creds.issued.secret_access_key.expose_secret().to_owned()
    } else {
        masked(
            creds
                .issued
                .secret_access_key
                .expose_secret()
                .chars()
                .count(),
        )
    };
    let lines = vec![
        field("lease_id", creds.issued.lease_id.clone(), theme),
        field(
            "lease_duration",
            format_vault_duration(creds.issued.lease_duration),
            theme,
        ),
        field("renewable", creds.issued.renewable.to_string(), theme),
        field("access_key", creds.issued.access_key_id.clone(), theme),
        field("secret_key", secret.clone(), theme),
        Line::raw(""),
        lease_line(app, theme),
        Line::from(vec![
            Span::styled("export ", theme.muted),
            Span::styled(
                format!("AWS_ACCESS_KEY_ID={}", creds.issued.access_key_id),
                theme.code,
            ),
        ]),
        Line::from(vec![
            Span::styled("export ", theme.muted),
            Span::styled(format!("AWS_SECRET_ACCESS_KEY={secret}"), theme.code),
        ]),
        Line::from(vec![
            Span::styled("export ", theme.muted),
            Span::styled(format!("AWS_REGION={}", app.root_keys.region), theme.code),
        ]),
        Line::from(Span::styled(
            if creds.revealed {
                "v hides the secret key · c copies the export lines"
            } else {
                "v shows the secret key · c copies the export lines"
            },
            theme.muted,
        )),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
