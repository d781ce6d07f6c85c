//! Step 3: the role's policy in an editor, checked as it is typed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::App;
use crate::app::policy::{PolicyCheck, Severity};
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [editor_area, check_area] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);

    let template = &app.lab.policy_templates[app.policy.template].name;
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
    frame.render_widget(&app.policy.textarea, inner);

    let mut lines = Vec::new();
    match &app.policy.check {
        PolicyCheck::NotJson(error) => {
            lines.push(Line::from(Span::styled("✗ not valid JSON", theme.failed)));
            lines.push(Line::raw(format!(
                "line {}, column {}:",
                error.line, error.column
            )));
            lines.push(Line::raw(error.message.clone()));
        }
        PolicyCheck::Json { issues } if issues.is_empty() => {
            lines.push(Line::from(Span::styled("✓ valid JSON", theme.done)));
            lines.push(Line::from(Span::styled("✓ IAM policy grammar", theme.done)));
        }
        PolicyCheck::Json { issues } => {
            lines.push(Line::from(Span::styled("✓ valid JSON", theme.done)));
            for issue in issues {
                let (mark, style) = match issue.severity {
                    Severity::Error => ("✗ ", theme.failed),
                    Severity::Warning => ("! ", theme.warning),
                };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::raw(issue.message.clone()),
                ]));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("t: next template", theme.muted)));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" check ").border_style(theme.muted)),
        check_area,
    );
}
