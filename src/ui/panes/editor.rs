//! An editor step's body (the role's policy): the document in an editor, and its checker's
//! findings as it is typed.

use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::app::App;
use crate::app::state::DocumentEditor;
use crate::app::steps::editor::Source;
use crate::checkers::{DocumentCheck, Severity};
use crate::lab::model::EditorStep;
use crate::ui::column::Part;
use crate::ui::theme::Theme;

/// Rows of the document the editor shows at least, wherever it can (80×24 included).
pub const MIN_DOCUMENT_ROWS: u16 = 8;

/// The editor and its checker's verdict side by side (stacked when narrow), as tall as
/// the document, at least `MIN_DOCUMENT_ROWS` of it, and at most what the pane shows
/// under its "more above" mark.
pub fn part<'a>(
    width: u16,
    visible: u16,
    app: &'a App,
    step: usize,
    spec: &'a EditorStep,
    theme: &Theme,
) -> Part<'a> {
    let Some(editor) = app.editor(step) else {
        return Part::gap(0);
    };
    let theme = *theme;
    let side_by_side = width >= 60;
    let check_width = if side_by_side { width * 2 / 5 } else { width };
    let check = check_lines(editor, spec, &theme);
    let check_rows = Paragraph::new(check.clone())
        .wrap(Wrap { trim: true })
        .line_count(check_width.saturating_sub(2));
    let check_rows = u16::try_from(check_rows)
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let document_rows = u16::try_from(editor.textarea.lines().len()).unwrap_or(u16::MAX);
    let editor_rows = document_rows
        .saturating_add(2)
        .min(visible.saturating_sub(1))
        .max(MIN_DOCUMENT_ROWS + 2);
    let height = if side_by_side {
        editor_rows.max(check_rows)
    } else {
        editor_rows + check_rows
    };
    Part::widget(height, move |buf, area| {
        let (editor_area, check_area) = if side_by_side {
            let [e, c] = Layout::horizontal([
                Constraint::Length(width - check_width),
                Constraint::Length(check_width),
            ])
            .areas(area);
            (e, c)
        } else {
            let [e, c] =
                Layout::vertical([Constraint::Length(editor_rows), Constraint::Min(0)]).areas(area);
            (e, c)
        };
        let template = match editor.source {
            Source::Template(index) => spec.templates[index].name.clone(),
            Source::Vault => format!("the {} Vault holds", spec.document),
        };
        let state = if app.editing {
            " editing — Esc stops "
        } else {
            " e to edit "
        };
        let mut block = Block::bordered()
            .title(Line::from(format!(" {template} ")))
            .title_bottom(Line::from(state).right_aligned())
            .border_style(if app.editing {
                theme.accent
            } else {
                theme.muted
            });
        // A document taller than its box says so, and where the cursor is in it: the
        // editor scrolls with the cursor (↑/↓, PgUp/PgDn while editing).
        if document_rows > editor_area.height.saturating_sub(2) {
            let row = editor.textarea.cursor().0;
            block = block.title_top(
                Line::from(Span::styled(
                    format!(" ↕ line {} of {document_rows} ", row + 1),
                    theme.warning,
                ))
                .right_aligned(),
            );
        }
        // Where the document stops parsing, on the editor's own frame too.
        if let DocumentCheck::NotParsed(error) = &editor.check {
            block = block.title_bottom(Line::from(Span::styled(
                format!(" ✗ line {}:{} ", error.line, error.column),
                theme.failed,
            )));
        }
        let inner = block.inner(editor_area);
        block.render(editor_area, buf);
        (&editor.textarea).render(inner, buf);
        Paragraph::new(check)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" check ").border_style(theme.muted))
            .render(check_area, buf);
    })
}

/// The checker's verdict: valid or not, where it stops parsing, what it finds.
fn check_lines<'a>(editor: &DocumentEditor, spec: &EditorStep, theme: &Theme) -> Vec<Line<'a>> {
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
    lines
}
