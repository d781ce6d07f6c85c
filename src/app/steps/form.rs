//! A form step (the root keys): fields the learner fills, some secret, checked by the
//! engine first when the lab asks it to, then written, then read back.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

use super::{describe_reply, fail, finish, pasted, refuse, vault_failure};
use crate::app::effect::{Effect, Purpose, VaultCall};
use crate::app::keymap::{Action, Binding, plain};
use crate::app::plan;
use crate::app::state::{App, StepStatus};
use crate::engines::{EngineCall, Verified};
use crate::exchange::{Exchange, Failure};
use crate::lab::StepKind;
use crate::lab::model::{Field, FormStep};
use crate::setup::Prefill;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

/// A one-line input for a secret: the text never leaves a `SecretString`.
#[derive(Debug, Clone)]
pub struct SecretInput(SecretString);

impl Default for SecretInput {
    fn default() -> Self {
        Self(SecretString::from(String::new()))
    }
}

impl SecretInput {
    pub fn new(value: SecretString) -> Self {
        Self(value)
    }

    pub fn push_str(&mut self, text: &str) {
        let mut value = self.0.expose_secret().to_owned();
        value.extend(text.chars().filter(|c| !c.is_control()));
        self.0 = SecretString::from(value);
    }

    pub fn backspace(&mut self) {
        let mut value = self.0.expose_secret().to_owned();
        value.pop();
        self.0 = SecretString::from(value);
    }

    pub fn clear(&mut self) {
        self.0 = SecretString::from(String::new());
    }

    pub fn len(&self) -> usize {
        self.0.expose_secret().chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// One field's input: shown as typed, or a secret shown masked.
#[derive(Debug, Clone)]
pub enum FieldInput {
    Plain(String),
    Secret(SecretInput),
}

impl FieldInput {
    fn new(field: &Field, prefilled: Option<&SecretString>) -> Self {
        match (field.secret, prefilled) {
            (true, Some(value)) => FieldInput::Secret(SecretInput::new(value.clone())),
            (true, None) => FieldInput::Secret(SecretInput::default()),
            (false, Some(value)) => FieldInput::Plain(value.expose_secret().to_owned()),
            (false, None) => FieldInput::Plain(field.default.clone()),
        }
    }

    /// Adds text where the cursor is (the end); control characters (a pasted CR) are
    /// left out, so a field is always one line.
    pub fn push_str(&mut self, text: &str) {
        match self {
            FieldInput::Plain(value) => value.extend(text.chars().filter(|c| !c.is_control())),
            FieldInput::Secret(secret) => secret.push_str(text),
        }
    }

    /// Replaces the value; a secret stays a secret.
    pub fn set(&mut self, text: &str) {
        self.clear();
        self.push_str(text);
    }

    /// The same value, whether shown or secret.
    fn same_as(&self, other: &FieldInput) -> bool {
        self.value().expose_secret() == other.value().expose_secret()
    }

    fn backspace(&mut self) {
        match self {
            FieldInput::Plain(value) => {
                value.pop();
            }
            FieldInput::Secret(secret) => secret.backspace(),
        }
    }

    pub fn clear(&mut self) {
        match self {
            FieldInput::Plain(value) => value.clear(),
            FieldInput::Secret(secret) => secret.clear(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            FieldInput::Plain(value) => value.trim().is_empty(),
            FieldInput::Secret(secret) => secret.is_empty(),
        }
    }

    /// The value, as the engine and the requests get it.
    pub fn value(&self) -> SecretString {
        match self {
            FieldInput::Plain(value) => SecretString::from(value.clone()),
            FieldInput::Secret(secret) => secret.secret().clone(),
        }
    }
}

/// A form being filled in.
#[derive(Debug, Clone)]
pub struct FormState {
    /// One per field of the step, in its order.
    pub inputs: Vec<FieldInput>,
    /// The field that takes keys while editing.
    pub field: usize,
    /// Where the prefilled values came from (the sandbox, the environment, a profile).
    pub source: Option<String>,
    /// What the engine found out about the values, once checked.
    pub verified: Option<Verified>,
    /// The values the form started with (prefilled, or the lab's defaults): `u` puts
    /// them back after a change, so a mistyped secret never loses the good one.
    pub initial: Vec<FieldInput>,
}

impl FormState {
    /// The form's fields, filled from `prefill` where it has them and from the lab's
    /// defaults elsewhere.
    pub fn new(fields: &[Field], prefill: Option<&Prefill>) -> Self {
        let prefilled = |name: &str| prefill.and_then(|p| p.values.get(name));
        let inputs: Vec<FieldInput> = fields
            .iter()
            .map(|field| FieldInput::new(field, prefilled(&field.name)))
            .collect();
        let source = prefill
            .filter(|_| fields.iter().any(|f| prefilled(&f.name).is_some()))
            .map(|p| p.source.clone());
        Self {
            initial: inputs.clone(),
            inputs,
            field: 0,
            source,
            verified: None,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.inputs.iter().all(|input| !input.is_blank())
    }

    /// Prefilled, and changed since: `u` can put the prefilled values back.
    pub fn can_restore(&self) -> bool {
        self.source.is_some()
            && self
                .inputs
                .iter()
                .zip(&self.initial)
                .any(|(now, then)| !now.same_as(then))
    }
}

fn spec(app: &App, step: usize) -> &FormStep {
    match app.step_kind(step) {
        StepKind::Form(form) => form,
        _ => unreachable!("step {step} is a form step"),
    }
}

pub fn bindings(app: &App, step: usize, list: &mut Vec<Binding>) {
    // The values being checked and sent stay as they are until the step answers.
    if app.steps[step].status == StepStatus::Running {
        return;
    }
    list.push(Binding::new(
        "e",
        spec(app, step).edit.clone(),
        Action::StartEditing,
        |k| plain(k, KeyCode::Char('e')),
    ));
    if app.form(step).is_some_and(FormState::can_restore) {
        list.push(Binding::new(
            "u",
            "put the prefilled values back",
            Action::RestoreForm,
            |k| plain(k, KeyCode::Char('u')),
        ));
    }
}

pub fn editing_bindings(list: &mut Vec<Binding>) {
    list.push(Binding::new("Tab", "next field", Action::NextField, |k| {
        plain(k, KeyCode::Tab)
    }));
    list.push(Binding::new(
        "Ctrl-U",
        "clear the field",
        Action::ClearField,
        |k| k.code == KeyCode::Char('u') && k.modifiers.contains(KeyModifiers::CONTROL),
    ));
}

/// `u`: the prefilled values again, in every field.
pub fn restore(app: &mut App, step: usize) {
    if let Some(form) = app.form_mut(step) {
        form.inputs = form.initial.clone();
        form.verified = None;
        let source = form.source.clone().unwrap_or_default();
        app.notice = Some(format!("The values from {source} are back."));
    }
}

/// Ctrl-U while editing: the focused field emptied, to type or paste it afresh.
pub fn clear_field(app: &mut App, step: usize) {
    if let Some(form) = app.form_mut(step) {
        form.inputs[form.field].clear();
        form.verified = None;
    }
}

pub fn next_field(app: &mut App, step: usize) {
    if let Some(form) = app.form_mut(step) {
        form.field = (form.field + 1) % form.inputs.len().max(1);
    }
}

/// Keys typed into the focused field while editing.
pub fn edit(app: &mut App, step: usize, key: KeyEvent) {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return;
    }
    let Some(form) = app.form_mut(step) else {
        return;
    };
    let count = form.inputs.len().max(1);
    let input = &mut form.inputs[form.field];
    match key.code {
        KeyCode::Char(c) => input.push_str(&c.to_string()),
        KeyCode::Backspace => input.backspace(),
        KeyCode::Enter => form.field = (form.field + 1) % count,
        _ => {}
    }
    form.verified = None;
}

/// A paste fills the fields its lines are for (see [`pasted::place`]): a pair of keys
/// pasted on two lines, with whatever line ends, never puts the secret into a field shown
/// in clear.
pub fn paste(app: &mut App, step: usize, text: &str) {
    let fields = spec(app, step).fields.clone();
    let Some(form) = app.form_mut(step) else {
        return;
    };
    let placement = pasted::place(&fields, form.field, text);
    for (index, value) in &placement.values {
        let input = &mut form.inputs[*index];
        match placement.replace {
            true => input.set(value),
            false => input.push_str(value),
        }
        form.field = *index;
    }
    form.verified = None;
    // A paste of several values says where they went; one line shows where it is typed.
    if placement.replace || placement.left_out > 0 {
        let mut labels: Vec<&str> = placement
            .values
            .iter()
            .map(|(index, _)| fields[*index].label.as_str())
            .collect();
        labels.dedup();
        let mut notice = match labels.as_slice() {
            [] => "Nothing pasted matched a field".to_owned(),
            [one] => format!("Pasted into {one}"),
            [rest @ .., last] => format!("Pasted into {} and {last}", rest.join(", ")),
        };
        if placement.left_out > 0 {
            notice.push_str(&format!(
                "; {} line(s) left out, with no field for them",
                placement.left_out
            ));
        }
        app.notice = Some(format!("{notice}."));
    }
}

/// Enter: the engine checks the values first, when the lab asks it to.
pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    if !app.form(step).is_some_and(FormState::is_complete) {
        let spec = spec(app, step);
        let (what, hint) = (spec.incomplete.clone(), spec.incomplete_hint.clone());
        return refuse(app, step, &what, &hint);
    }
    if spec(app, step).verify {
        return vec![Effect::Engine(EngineCall::Verify {
            step,
            values: app.values(),
        })];
    }
    super::send(app, step)
}

/// The engine's verdict on the values: written to Vault when it accepts them.
pub fn on_verified(app: &mut App, step: usize, result: Result<Verified, Failure>) -> Vec<Effect> {
    match result {
        Ok(verified) => {
            if let Some(form) = app.form_mut(step) {
                form.verified = Some(verified);
            }
            super::send(app, step)
        }
        Err(failure) => {
            fail(app, step, failure);
            Vec::new()
        }
    }
}

/// The write answered: read back what Vault keeps (it never returns the secrets).
pub fn on_written(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let Some((_, written)) = super::accepted(app, step, curl, reply) else {
        return Vec::new();
    };
    match plan::read_back(app, step) {
        Some(request) => vec![VaultCall::now(Purpose::ReadBack { step, written }, request)],
        None => {
            finish(app, step, written);
            Vec::new()
        }
    }
}

pub fn on_read_back(
    app: &mut App,
    step: usize,
    written: Exchange,
    reply: Result<Reply, VaultRefusal>,
) {
    match reply {
        Ok(reply) => finish(
            app,
            step,
            Exchange {
                curl: written.curl,
                response: format!(
                    "{}\nread back: {}",
                    written.response,
                    describe_reply(app, &reply)
                ),
            },
        ),
        Err(refusal) => {
            let what = spec(app, step)
                .read_back
                .as_ref()
                .map(|r| r.failed.clone())
                .unwrap_or_default();
            fail(app, step, vault_failure(&what, &refusal));
        }
    }
}
