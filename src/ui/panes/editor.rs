//! An editor step's body (the role's policy): the document in an editor, and its checker's
//! findings as it is typed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::App;
use crate::app::steps::editor::Source;
use crate::checkers::{DocumentCheck, Severity};
use crate::lab::model::EditorStep;
use crate::ui::theme::Theme;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    step: usize,
    spec: &EditorStep,
    theme: &Theme,
) {
    let Some(editor) = app.editor(step) else {
        return;
    };
    let [editor_area, check_area] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);

    let template = match editor.source {
        Source::Template(index) => spec.templates[index].name.clone(),
        Source::Vault => format!("the {} Vault holds", spec.document),
    };
    let title = if app.editing {
        " editing — Esc stops "
    } else {
        " e to edit "
    };
    let block = Block::bordered()
        .title(format!(" {template} "))
        .title_bottom(Line::from(title).right_aligned())
        .border_style(if app.editing {
            theme.accent
        } else {
            theme.muted
        });
    let inner = block.inner(editor_area);
    frame.render_widget(block, editor_area);
    frame.render_widget(&editor.textarea, inner);

    let syntax = editor.checker.syntax();
    let mut lines = Vec::new();
    match &editor.check {
        DocumentCheck::NotParsed(error) => {
            lines.push(Line::from(Span::styled(
                format!("✗ not valid {syntax}"),
                theme.failed,
            )));
            lines.push(Line::raw(format!(
                "line {}, column {}:",
                error.line, error.column
            )));
            lines.push(Line::raw(error.message.clone()));
        }
        DocumentCheck::Parsed { issues } if issues.is_empty() => {
            lines.push(Line::from(Span::styled(
                format!("✓ valid {syntax}"),
                theme.done,
            )));
            lines.push(Line::from(Span::styled(
                format!("✓ {}", editor.checker.grammar()),
                theme.done,
            )));
        }
        DocumentCheck::Parsed { issues } => {
            lines.push(Line::from(Span::styled(
                format!("✓ valid {syntax}"),
                theme.done,
            )));
            for issue in issues {
                let (mark, style) = match issue.severity {
                    Severity::Error => ("✗ ", theme.failed),
                    Severity::Warning => ("! ", theme.warning),
                };
                let place = issue
                    .at
                    .map(|at| format!("line {}, column {}: ", at.line, at.column))
                    .unwrap_or_default();
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::raw(format!("{place}{}", issue.message)),
                ]));
            }
        }
    }
    lines.push(Line::raw(""));
    if editor.held_differs() {
        // Written elsewhere (the CLI), or not yet written from here.
        lines.push(Line::from(vec![
            Span::styled(
                format!("Vault holds a different {}: ", spec.document),
                theme.warning,
            ),
            Span::styled("g", theme.key),
            Span::styled(" loads it", theme.warning),
        ]));
    }
    lines.push(Line::from(Span::styled("t: next template", theme.muted)));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" check ").border_style(theme.muted)),
        check_area,
    );
}
