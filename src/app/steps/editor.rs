//! An editor step (the role's policy): a document, its templates, its checker run as it
//! is typed; Enter writes it. The step's done check reads the document Vault holds (written
//! with the CLI, say): `g` loads it, asking first over the learner's edits.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::{pasted, refuse};
use crate::app::effect::Effect;
use crate::app::keymap::{Action, Binding, plain};
use crate::app::plan;
use crate::app::state::{App, StepStatus};
use crate::checkers::{Checker, DocumentCheck};
use crate::lab::StepKind;
use crate::lab::model::EditorStep;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

/// Where an editor's document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// One of the lab's templates, by its place.
    Template(usize),
    /// What Vault holds.
    Vault,
}

/// A document being edited and checked.
pub struct DocumentEditor {
    pub textarea: TextArea<'static>,
    pub checker: Checker,
    pub check: DocumentCheck,
    /// The template `t` moves on from.
    pub template: usize,
    /// Enter refused the document (its checker found errors): the step's status before,
    /// put back once the document checks clean, so the failure does not outlive its fix.
    pub refused_over: Option<StepStatus>,
    pub source: Source,
    /// The text as loaded: the learner's edits are what differs from it.
    loaded: String,
    /// The document Vault holds, laid out for editing, as the step's done check last read
    /// it; `None` when Vault holds none (or it was not read yet).
    pub held: Option<String>,
}

impl DocumentEditor {
    pub fn new(document: &str, template: usize, checker: Checker) -> Self {
        Self::load(document, template, Source::Template(template), checker)
    }

    fn load(document: &str, template: usize, source: Source, checker: Checker) -> Self {
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
            source,
            loaded: document.to_owned(),
            held: None,
        }
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// The learner changed the document since it was loaded.
    pub fn is_edited(&self) -> bool {
        self.text().trim_end() != self.loaded.trim_end()
    }

    /// Vault holds a document other than the one in the editor.
    pub fn held_differs(&self) -> bool {
        self.held
            .as_ref()
            .is_some_and(|held| !self.checker.same(held, &self.text()))
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
            .field("source", &self.source)
            .field("held", &self.held)
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
    if app.editor(step).is_some_and(DocumentEditor::held_differs) {
        list.push(Binding::new(
            "g",
            format!("load the {document} Vault holds"),
            Action::LoadHeld,
            |k| plain(k, KeyCode::Char('g')),
        ));
    }
    if app.steps[step].status != StepStatus::Running {
        list.push(Binding::new(
            "e",
            format!("edit the {document}"),
            Action::StartEditing,
            |k| plain(k, KeyCode::Char('e')),
        ));
    }
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
    let next = match editor.source {
        Source::Template(_) => (editor.template + 1) % spec.templates.len(),
        // From what Vault holds, t goes back to the template it had before.
        Source::Vault => editor.template,
    };
    let refused_over = editor.refused_over.clone();
    let name = &spec.templates[next].name;
    if editor.is_edited() && !confirmed {
        app.confirm = Some(Action::NextTemplate);
        app.notice = Some(format!(
            "t again replaces your edits with \"{name}\"; any other key keeps them"
        ));
    } else {
        app.notice = Some(format!("{}: {name}", capitalised(&spec.document)));
        if let Some(editor) = app.editor_mut(step) {
            let held = editor.held.take();
            *editor = DocumentEditor::new(&spec.templates[next].document, next, spec.checker);
            editor.refused_over = refused_over;
            editor.held = held;
        }
        settle_refusal(app, step);
    }
}

/// `g`: the document Vault holds, in place of the editor's; over edits, only once asked
/// twice in a row.
pub fn load_held(app: &mut App, step: usize, confirmed: bool) {
    let document = spec(app, step).document.clone();
    let Some(editor) = app.editor(step) else {
        return;
    };
    let Some(held) = editor.held.clone() else {
        app.notice = Some(format!("Vault holds no {document} yet."));
        return;
    };
    if editor.is_edited() && !confirmed {
        app.confirm = Some(Action::LoadHeld);
        app.notice = Some(format!(
            "g again replaces your edits with the {document} Vault holds; any other key keeps them"
        ));
        return;
    }
    let read = plan::done_check(app, step)
        .map(|(request, _)| format!(" ({})", request.path))
        .unwrap_or_default();
    if let Some(editor) = app.editor_mut(step) {
        let (template, checker) = (editor.template, editor.checker);
        let refused_over = editor.refused_over.take();
        *editor = DocumentEditor::load(&held, template, Source::Vault, checker);
        editor.held = Some(held);
        editor.refused_over = refused_over;
    }
    app.notice = Some(format!(
        "{}: loaded from Vault{read}",
        capitalised(&document)
    ));
    settle_refusal(app, step);
}

/// The step's done check read what Vault holds (`None`: nothing, a 404): the document, at
/// the field the step's request writes it to (`policy_document`), laid out for editing.
pub fn on_held(app: &mut App, step: usize, reply: Option<&Reply>) {
    let spec = spec(app, step);
    let field = spec.request.body.iter().find_map(|(name, value)| {
        let text = value.as_str()?;
        (crate::lab::template::whole(text) == Some(spec.document.as_str())).then_some(name)
    });
    let value = field.and_then(|field| reply?.data()?.get(field));
    let text = match value {
        Some(serde_json::Value::String(text)) => Some(text.clone()),
        // A list of statements (a database role's), one per line.
        Some(serde_json::Value::Array(items)) if items.iter().all(|i| i.is_string()) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => serde_json::to_string_pretty(other).ok(),
    };
    if let Some(editor) = app.editor_mut(step) {
        editor.held = text
            .filter(|text| !text.trim().is_empty())
            .map(|text| editor.checker.laid_out(&text));
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
