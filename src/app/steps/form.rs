//! A form step (the root keys): fields, one of them secret, checked by the engine before
//! Vault is given them, then written and read back.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

use super::{describe_reply, fail, finish, refuse, vault_failure};
use crate::app::effect::{Effect, Purpose, VaultCall};
use crate::app::keymap::{Action, Binding, plain};
use crate::app::plan;
use crate::app::state::App;
use crate::engines::aws::{ACCESS_KEY, REGION, SECRET_KEY};
use crate::engines::{EngineCall, Values, Verified};
use crate::exchange::{Exchange, Failure};
use crate::setup::PrefilledKeys;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    AccessKeyId,
    SecretAccessKey,
    Region,
}

impl KeyField {
    pub fn next(self) -> KeyField {
        match self {
            KeyField::AccessKeyId => KeyField::SecretAccessKey,
            KeyField::SecretAccessKey => KeyField::Region,
            KeyField::Region => KeyField::AccessKeyId,
        }
    }
}

/// The root keys Vault will be given.
#[derive(Debug, Clone)]
pub struct RootKeysForm {
    pub access_key_id: String,
    pub secret_access_key: SecretInput,
    pub region: String,
    pub field: KeyField,
    /// Where the prefilled keys came from (the sandbox, the environment, a profile).
    pub source: Option<String>,
    /// What the engine found out about the keys, once checked.
    pub verified: Option<Verified>,
}

impl RootKeysForm {
    pub fn new(prefill: Option<PrefilledKeys>, region: &str) -> Self {
        match prefill {
            Some(keys) => RootKeysForm {
                access_key_id: keys.access_key_id,
                secret_access_key: SecretInput::new(keys.secret_access_key),
                region: keys.region,
                field: KeyField::AccessKeyId,
                source: Some(keys.source),
                verified: None,
            },
            None => RootKeysForm {
                access_key_id: String::new(),
                secret_access_key: SecretInput::default(),
                region: region.to_owned(),
                field: KeyField::AccessKeyId,
                source: None,
                verified: None,
            },
        }
    }

    pub fn is_complete(&self) -> bool {
        !self.access_key_id.trim().is_empty()
            && !self.secret_access_key.is_empty()
            && !self.region.trim().is_empty()
    }

    /// The form's values, as the engine and the requests use them (trimmed).
    pub fn values(&self) -> Values {
        Values::default()
            .with(
                ACCESS_KEY,
                SecretString::from(self.access_key_id.trim().to_owned()),
            )
            .with(SECRET_KEY, self.secret_access_key.secret().clone())
            .with(REGION, SecretString::from(self.region.trim().to_owned()))
    }
}

pub fn bindings(list: &mut Vec<Binding>) {
    list.push(Binding::new(
        "e",
        "edit the keys",
        Action::StartEditing,
        |k| plain(k, KeyCode::Char('e')),
    ));
}

pub fn editing_bindings(list: &mut Vec<Binding>) {
    list.push(Binding::new("Tab", "next field", Action::NextField, |k| {
        plain(k, KeyCode::Tab)
    }));
}

pub fn next_field(app: &mut App) {
    app.root_keys.field = app.root_keys.field.next();
}

/// Keys typed into the focused field while editing.
pub fn edit(app: &mut App, key: KeyEvent) {
    let form = &mut app.root_keys;
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return;
    }
    match (key.code, form.field) {
        (KeyCode::Char(c), KeyField::AccessKeyId) => form.access_key_id.push(c),
        (KeyCode::Char(c), KeyField::SecretAccessKey) => {
            form.secret_access_key.push_str(&c.to_string())
        }
        (KeyCode::Char(c), KeyField::Region) => form.region.push(c),
        (KeyCode::Backspace, KeyField::AccessKeyId) => {
            form.access_key_id.pop();
        }
        (KeyCode::Backspace, KeyField::SecretAccessKey) => form.secret_access_key.backspace(),
        (KeyCode::Backspace, KeyField::Region) => {
            form.region.pop();
        }
        (KeyCode::Enter, _) => form.field = form.field.next(),
        _ => {}
    }
    form.verified = None;
}

/// A paste goes into the focused field, one line of it: a pasted pair of keys must not
/// put the secret into the access key field, which is shown in clear.
pub fn paste(app: &mut App, text: &str) {
    let form = &mut app.root_keys;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    match form.field {
        KeyField::AccessKeyId => form.access_key_id.push_str(line),
        KeyField::SecretAccessKey => form.secret_access_key.push_str(line),
        KeyField::Region => form.region.push_str(line),
    }
    form.verified = None;
}

/// Enter: the engine checks the keys first.
pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    if !app.root_keys.is_complete() {
        return refuse(
            app,
            step,
            "The keys are incomplete",
            "Press e and fill in the access key, the secret key and the region.",
        );
    }
    vec![Effect::Engine(EngineCall::Verify {
        step,
        values: app.root_keys.values(),
    })]
}

/// The engine's verdict on the keys: written to Vault when it accepts them.
pub fn on_verified(app: &mut App, step: usize, result: Result<Verified, Failure>) -> Vec<Effect> {
    match result {
        Ok(verified) => {
            app.root_keys.verified = Some(verified);
            plan::step_request(app, step)
                .map(|request| VaultCall::now(Purpose::Step { step }, request))
                .into_iter()
                .collect()
        }
        Err(failure) => {
            fail(app, step, failure);
            Vec::new()
        }
    }
}

/// The write answered: read back what Vault keeps (it never returns the secret).
pub fn on_written(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    match reply {
        Ok(reply) => {
            let written = Exchange {
                curl,
                response: describe_reply(&reply),
            };
            plan::read_back(app, step)
                .map(|request| VaultCall::now(Purpose::ReadBack { step, written }, request))
                .into_iter()
                .collect()
        }
        Err(refusal) => {
            fail(
                app,
                step,
                vault_failure("Vault did not accept the root keys", &refusal),
            );
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
                    describe_reply(&reply)
                ),
            },
        ),
        Err(refusal) => fail(
            app,
            step,
            vault_failure("Vault did not return the root config", &refusal),
        ),
    }
}
