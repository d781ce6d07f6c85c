//! An editor step (the role's policy): a document, its templates, its checker run as it
//! is typed; Enter writes it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::{pasted, refuse};
use crate::app::effect::Effect;
use crate::app::keymap::{Action, Binding, plain};
use crate::app::state::{App, StepStatus};
use crate::checkers::{Checker, DocumentCheck};
use crate::lab::StepKind;
use crate::lab::model::EditorStep;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

/// A document being edited and checked.
pub struct DocumentEditor {
    pub textarea: TextArea<'static>,
    pub checker: Checker,
    pub check: DocumentCheck,
    /// The template it was loaded from.
    pub template: usize,
    /// Enter refused the document (its checker found errors): the step's status before,
    /// put back once the document checks clean, so the failure does not outlive its fix.
    pub refused_over: Option<StepStatus>,
}

impl DocumentEditor {
    pub fn new(document: &str, template: usize, checker: Checker) -> Self {
        let mut textarea = TextArea::new(document.lines().map(str::to_owned).collect());
        // Line numbers, so "line 3, column 5" can be found at a glance.
        textarea.set_line_number_style(
            ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::DIM),
        );
        Self {
            check: checker.check(document),
            checker,
            textarea,
            template,
            refused_over: None,
        }
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// Puts the cursor on the syntax error, else on the first error that is in one place.
    pub fn jump_to_error(&mut self) -> bool {
        let Some(error) = self.check.first_error() else {
            return false;
        };
        let row = error.line.saturating_sub(1);
        // The checker counts bytes; the editor's cursor counts characters.
        let column = self
            .textarea
            .lines()
            .get(row)
            .map(|line| {
                let byte = error.column.saturating_sub(1).min(line.len());
                line.char_indices().take_while(|(i, _)| *i < byte).count()
            })
            .unwrap_or(0);
        let row = u16::try_from(row).unwrap_or(u16::MAX);
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        self.textarea
            .move_cursor(ratatui_textarea::CursorMove::Jump(row, column));
        true
    }

    /// Re-checks after an edit.
    pub fn recheck(&mut self) {
        self.check = self.checker.check(&self.text());
    }
}

impl std::fmt::Debug for DocumentEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentEditor")
            .field("text", &self.text())
            .field("check", &self.check)
            .field("template", &self.template)
            .finish()
    }
}

fn spec(app: &App, step: usize) -> &EditorStep {
    match app.step_kind(step) {
        StepKind::Editor(editor) => editor,
        _ => unreachable!("step {step} is an editor step"),
    }
}

pub fn bindings(app: &App, step: usize, list: &mut Vec<Binding>) {
    let document = &spec(app, step).document;
    list.push(Binding::new(
        "e",
        format!("edit the {document}"),
        Action::StartEditing,
        |k| plain(k, KeyCode::Char('e')),
    ));
    list.push(Binding::new(
        "t",
        format!("next {document} template"),
        Action::NextTemplate,
        |k| plain(k, KeyCode::Char('t')),
    ));
}

/// The document with its first letter capitalised, to start a sentence.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `t`: the next template; over an edited document, only once asked twice in a row.
pub fn next_template(app: &mut App, step: usize, confirmed: bool) {
    let spec = spec(app, step).clone();
    let Some(editor) = app.editor(step) else {
        return;
    };
    let next = (editor.template + 1) % spec.templates.len();
    let refused_over = editor.refused_over.clone();
    let name = &spec.templates[next].name;
    let edited = editor.text().trim_end() != spec.templates[editor.template].document.trim_end();
    if edited && !confirmed {
        app.template_confirm = true;
        app.notice = Some(format!(
            "t again replaces your edits with \"{name}\"; any other key keeps them"
        ));
    } else {
        app.notice = Some(format!("{}: {name}", capitalised(&spec.document)));
        if let Some(editor) = app.editor_mut(step) {
            *editor = DocumentEditor::new(&spec.templates[next].document, next, spec.checker);
            editor.refused_over = refused_over;
        }
        settle_refusal(app, step);
    }
}

pub fn edit(app: &mut App, step: usize, key: KeyEvent) {
    if let Some(editor) = app.editor_mut(step)
        && editor.textarea.input(key)
    {
        editor.recheck();
        settle_refusal(app, step);
    }
}

/// A paste keeps its lines whatever ends them (terminals send CR), so the checker's line
/// numbers are the editor's.
pub fn paste(app: &mut App, step: usize, text: &str) {
    if let Some(editor) = app.editor_mut(step) {
        editor.textarea.insert_str(pasted::with_lf(text));
        editor.recheck();
        settle_refusal(app, step);
    }
}

/// The document checks clean again after Enter refused it: the refusal is over.
fn settle_refusal(app: &mut App, step: usize) {
    let Some(editor) = app.editor_mut(step) else {
        return;
    };
    if !editor.check.is_usable() {
        return;
    }
    if let Some(before) = editor.refused_over.take()
        && matches!(app.steps[step].status, StepStatus::Failed(_))
    {
        app.steps[step].status = before;
    }
}

/// Enter: write the document, unless its checker says the service would refuse it.
pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    let usable = app.editor(step).is_some_and(|e| e.check.is_usable());
    let before = app.steps[step].status.clone();
    if let Some(editor) = app.editor_mut(step) {
        // The status a refusal hides; the first refusal's, if Enter refuses again.
        editor.refused_over = match usable {
            true => None,
            false => editor.refused_over.take().or(Some(before)),
        };
    }
    if !usable {
        // Straight to the mistake, editor open.
        if app.editor_mut(step).is_some_and(|e| e.jump_to_error()) {
            app.editing = true;
        }
        let document = spec(app, step).document.clone();
        return refuse(
            app,
            step,
            &format!("The {document} has errors"),
            "Fix what the checker lists (e to edit), or press t for a template.",
        );
    }
    super::send(app, step)
}

pub fn on_written(app: &mut App, step: usize, curl: String, reply: Result<Reply, VaultRefusal>) {
    if let Some((_, exchange)) = super::accepted(app, step, curl, reply) {
        super::finish(app, step, exchange);
    }
}
