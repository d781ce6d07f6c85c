//! An editor step (the role's policy): a document, its templates, a checker as it is
//! typed; Enter writes it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::{fail, finish_reply, refuse};
use crate::app::effect::{Effect, Purpose, VaultCall};
use crate::app::keymap::{Action, Binding, plain};
use crate::app::plan;
use crate::app::policy::{PolicyCheck, check_policy};
use crate::app::state::App;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

/// The role's policy document, being edited and checked.
pub struct PolicyEditor {
    pub textarea: TextArea<'static>,
    pub check: PolicyCheck,
    pub template: usize,
}

impl PolicyEditor {
    pub fn new(document: &str, template: usize) -> Self {
        let mut textarea = TextArea::new(document.lines().map(str::to_owned).collect());
        // Line numbers, so "line 3, column 5" can be found at a glance.
        textarea.set_line_number_style(
            ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::DIM),
        );
        Self {
            check: check_policy(document),
            textarea,
            template,
        }
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// Puts the cursor on the first JSON error, if there is one.
    pub fn jump_to_error(&mut self) -> bool {
        let PolicyCheck::NotJson(error) = &self.check else {
            return false;
        };
        let row = error.line - 1;
        // serde_json counts bytes; the editor's cursor counts characters.
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
        self.check = check_policy(&self.text());
    }
}

impl std::fmt::Debug for PolicyEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEditor")
            .field("text", &self.text())
            .field("check", &self.check)
            .field("template", &self.template)
            .finish()
    }
}

pub fn bindings(list: &mut Vec<Binding>) {
    list.push(Binding::new(
        "e",
        "edit the policy",
        Action::StartEditing,
        |k| plain(k, KeyCode::Char('e')),
    ));
    list.push(Binding::new(
        "t",
        "next policy template",
        Action::NextTemplate,
        |k| plain(k, KeyCode::Char('t')),
    ));
}

/// Whether the policy differs from the template it was loaded from.
fn edited(app: &App) -> bool {
    let template = &app.lab.policy_templates[app.policy.template].document;
    app.policy.text().trim_end() != template.trim_end()
}

/// `t`: the next template; over an edited policy, only once asked twice in a row.
pub fn next_template(app: &mut App, confirmed: bool) {
    let next = (app.policy.template + 1) % app.lab.policy_templates.len();
    let name = &app.lab.policy_templates[next].name;
    if edited(app) && !confirmed {
        app.template_confirm = true;
        app.notice = Some(format!(
            "t again replaces your edits with \"{name}\"; any other key keeps them"
        ));
    } else {
        app.notice = Some(format!("Policy: {name}"));
        app.policy = PolicyEditor::new(&app.lab.policy_templates[next].document, next);
    }
}

pub fn edit(app: &mut App, key: KeyEvent) {
    if app.policy.textarea.input(key) {
        app.policy.recheck();
    }
}

pub fn paste(app: &mut App, text: &str) {
    app.policy.textarea.insert_str(text);
    app.policy.recheck();
}

/// Enter: write the policy, unless the checker says Vault or AWS would refuse it.
pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    if !app.policy.check.is_usable() {
        // Straight to the mistake, editor open.
        if app.policy.jump_to_error() {
            app.editing = true;
        }
        return refuse(
            app,
            step,
            "The policy has errors",
            "Fix what the checker lists (e to edit), or press t for a template.",
        );
    }
    plan::step_request(app, step)
        .map(|request| VaultCall::now(Purpose::Step { step }, request))
        .into_iter()
        .collect()
}

pub fn on_written(app: &mut App, step: usize, curl: String, reply: Result<Reply, VaultRefusal>) {
    match reply {
        Ok(reply) => finish_reply(app, step, curl, &reply),
        Err(refusal) => fail(
            app,
            step,
            super::vault_failure("Vault did not accept the role", &refusal),
        ),
    }
}
