//! An issue step's body (generate credentials): the credentials and their lease, secrets
//! masked until revealed, and the lines that put them in a shell.

use ratatui::text::{Line, Span};
use secrecy::ExposeSecret;

use crate::app::App;
use crate::app::steps::issue::export_lines;
use crate::lab::model::IssueStep;
use crate::lease::countdown::format_vault_duration;
use crate::ui::column::Part;
use crate::ui::status_bar::lease_line;
use crate::ui::theme::Theme;
use crate::ui::widgets::{field, masked};

pub fn part<'a>(width: u16, app: &'a App, spec: &'a IssueStep, theme: &Theme) -> Part<'a> {
    let Some(creds) = &app.creds else {
        let mut lines = vec![Line::from(Span::styled(app.fill(&spec.idle), theme.muted))];
        let elsewhere = app.alive_elsewhere();
        if elsewhere > 0 {
            lines.push(Line::raw(""));
            let (count, them) = match elsewhere {
                1 => ("1 lease".to_owned(), "it"),
                n => (format!("{n} leases"), "them"),
            };
            lines.push(Line::raw(format!(
                "Issued elsewhere under this role: {count} (l shows {them}). Their keys are not known here: Enter generates a set the next steps can use."
            )));
        }
        return Part::text(lines, width);
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
    for name in &spec.show {
        let value = creds
            .fields
            .get(name)
            .map(|v| v.expose_secret().to_owned())
            .unwrap_or_default();
        let value = if spec.secret.contains(name) && !creds.revealed {
            masked(value.chars().count())
        } else {
            value
        };
        lines.push(field(name, value, theme));
    }
    lines.push(Line::raw(""));
    lines.push(lease_line(app, theme));
    for (name, value, secret) in export_lines(app) {
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
    let verb = if creds.revealed { "hides" } else { "shows" };
    lines.push(Line::from(Span::styled(
        format!("v {verb} {} · c copies the export lines", spec.secret_name),
        theme.muted,
    )));
    Part::text(lines, width)
}
