//! A form step's body (the root keys): the fields, secrets masked, and what the engine
//! found out about them once checked.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::state::FieldInput;
use crate::lab::model::FormStep;
use crate::ui::column::Part;
use crate::ui::theme::Theme;
use crate::ui::widgets::{field, masked};

pub fn part<'a>(
    width: u16,
    app: &'a App,
    step: usize,
    spec: &'a FormStep,
    theme: &Theme,
) -> Part<'a> {
    let Some(form) = app.form(step) else {
        return Part::gap(0);
    };
    let mut lines: Vec<Line> = spec
        .fields
        .iter()
        .zip(&form.inputs)
        .enumerate()
        .map(|(index, (field_spec, input))| {
            let text = match input {
                FieldInput::Plain(value) => value.clone(),
                FieldInput::Secret(secret) => masked(secret.len()),
            };
            let value = if app.editing && form.field == index {
                Span::styled(format!("{text}▏"), theme.selected)
            } else {
                Span::raw(text)
            };
            field(&field_spec.label, value, theme)
        })
        .collect();
    if let Some(source) = &form.source {
        let mut said = vec![Span::styled(
            format!("Prefilled from {source}"),
            theme.muted,
        )];
        if form.can_restore() {
            said.extend([
                Span::styled("; changed since: ", theme.muted),
                Span::styled("u", theme.key),
                Span::styled(" puts the prefilled values back", theme.muted),
            ]);
        }
        said.push(Span::styled(".", theme.muted));
        lines.push(Line::from(said));
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
        None => lines.push(Line::from(Span::styled(app.fill(&spec.idle), theme.muted))),
    }
    Part::text(lines, width)
}
