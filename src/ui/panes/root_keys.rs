//! Step 2: the AWS keys Vault will use, masked, checked with STS before they are written.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::state::KeyField;
use crate::ui::theme::Theme;
use crate::ui::widgets::{field, masked};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let form = &app.root_keys;
    let editing = |which: KeyField| app.editing && form.field == which;
    let input = |text: String, which: KeyField| {
        if editing(which) {
            Span::styled(format!("{text}▏"), theme.selected)
        } else {
            Span::raw(text)
        }
    };
    let mut lines = vec![
        field(
            "Access key",
            input(form.access_key_id.clone(), KeyField::AccessKeyId),
            theme,
        ),
        field(
            "Secret key",
            input(
                masked(form.secret_access_key.len()),
                KeyField::SecretAccessKey,
            ),
            theme,
        ),
        field(
            "Region",
            input(form.region.clone(), KeyField::Region),
            theme,
        ),
    ];
    if let Some(source) = &form.source {
        lines.push(Line::from(Span::styled(
            format!("Prefilled from {source}."),
            theme.muted,
        )));
    }
    lines.push(Line::raw(""));
    match &form.verified {
        Some(verified) => {
            for fact in &verified.facts {
                lines.push(field(&fact.label, fact.value.clone(), theme));
            }
            for warning in &verified.warnings {
                lines.push(Line::from(Span::styled(warning.clone(), theme.warning)));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "Enter checks the keys with STS GetCallerIdentity, then writes them to Vault.",
            theme.muted,
        ))),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
