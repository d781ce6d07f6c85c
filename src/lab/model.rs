//! A lab as the app uses it: its words, its variables, and its steps, each a generic kind
//! with what that kind needs. Loaded and checked from `labs/<id>/lab.toml` by `lab::load`.

use super::template::RequestTemplate;
use crate::checkers::Checker;
use crate::engines::spec::EngineSpec;

#[derive(Debug, Clone)]
pub struct Lab {
    pub id: String,
    pub title: String,
    /// One line for `vaultlab labs`.
    pub line: String,
    pub summary: String,
    pub engine: &'static EngineSpec,
    /// Values for templates (`mount`, `role`).
    pub vars: Vec<(String, String)>,
    pub words: LabWords,
    pub finish: Finish,
    pub steps: Vec<Step>,
    /// What a presenter says on each pane (`notes.toml`), for `vaultlab notes`.
    pub notes: super::notes::LabNotes,
}

/// The lab's words outside its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabWords {
    /// Where the lab runs, on the overview: on the embedded sandbox, against a real Vault.
    pub sandbox: String,
    pub live: String,
    /// Live mode, the engine's service reached at `{service_endpoint}` (moto, a sandbox):
    /// said instead of `live`.
    pub live_endpoint: Option<String>,
    /// Above the `export` lines for a second terminal (sandbox mode).
    pub second_terminal: String,
    /// What the overview's checks cover, in a few words.
    pub checks: String,
    /// What a lease stands for: on the leases pane, the prompt about earlier runs' leases,
    /// and the quit prompt.
    pub lease: String,
    pub lease_earlier: String,
    pub lease_at_quit: String,
    /// The quit prompt in sandbox mode, where leases end with the embedded sandbox.
    pub lease_at_quit_sandbox: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// The heading once every step is done.
    pub done: String,
    pub summary: String,
    pub try_next: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    /// The tab's name.
    pub tab: String,
    pub title: String,
    pub explain: String,
    /// What Enter does, for the help and the status bar.
    pub enter: String,
    /// The command a learner would type, with `{placeholders}`.
    pub cli: String,
    pub legacy_cli: Option<String>,
    pub legacy_note: Option<String>,
    pub kind: StepKind,
}

/// What a step does, and the words and requests it needs to do it.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// One Vault request.
    Request(RequestStep),
    /// Fields the learner fills (some secret), which become a request.
    Form(FormStep),
    /// A document in an editor, checked as it is typed, which becomes a request.
    Editor(EditorStep),
    /// Vault issues credentials with a lease.
    Issue(IssueStep),
    /// The engine uses the credentials.
    Probe(ProbeStep),
    /// The lease is revoked and the engine proves the credentials dead.
    Revoke(RevokeStep),
}

impl StepKind {
    /// The name a lab file gives the kind.
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Request(_) => "request",
            StepKind::Form(_) => "form",
            StepKind::Editor(_) => "editor",
            StepKind::Issue(_) => "issue",
            StepKind::Probe(_) => "probe",
            StepKind::Revoke(_) => "revoke",
        }
    }

    /// What the step says when Vault refuses its own request; `None` for the kinds whose
    /// work is the engine's.
    pub fn failed(&self) -> Option<&str> {
        match self {
            StepKind::Request(s) => Some(&s.failed),
            StepKind::Form(s) => Some(&s.failed),
            StepKind::Editor(s) => Some(&s.failed),
            StepKind::Issue(s) => Some(&s.failed),
            StepKind::Probe(_) | StepKind::Revoke(_) => None,
        }
    }
}

/// A read from Vault that tells a step done already (perhaps done with the CLI): the read
/// finds something (404 is not done), and, when `field` is given, a value at that path
/// of keys into the answer's `data`, equal to `equals` when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneWhen {
    pub read: String,
    pub field: Vec<String>,
    pub equals: Option<String>,
}

/// Vault refused a step's request with these words (`already in use`): `done_when` says
/// whether the step was done already, or something else is in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Already {
    pub when: String,
    /// Shown under Vault's answer when the step was done already.
    pub done: String,
    /// The failure when something else is in the way, and what to do.
    pub other: String,
    pub other_hint: String,
}

#[derive(Debug, Clone)]
pub struct RequestStep {
    pub request: RequestTemplate,
    /// What failed, when Vault refuses the request.
    pub failed: String,
    pub done_when: Option<DoneWhen>,
    pub already: Option<Already>,
    /// Labelled values the pane shows (`Mount path  aws/`).
    pub facts: Vec<(String, String)>,
    pub idle: String,
    pub running: String,
    pub done: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub label: String,
    /// Masked on screen, and sent only as a secret body field.
    pub secret: bool,
    pub default: String,
    /// Other names the value goes by in pasted text (`AWS_ACCESS_KEY_ID`), matched
    /// without regard to case, as the field's own name is.
    pub known_as: Vec<String>,
}

/// After a write, a read of what Vault keeps (it never returns the secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    pub read: String,
    pub failed: String,
}

#[derive(Debug, Clone)]
pub struct FormStep {
    pub fields: Vec<Field>,
    pub request: RequestTemplate,
    pub failed: String,
    pub done_when: Option<DoneWhen>,
    pub read_back: Option<ReadBack>,
    /// The engine checks the values before Vault gets them.
    pub verify: bool,
    pub idle: String,
    /// What `e` does, for the help.
    pub edit: String,
    /// Enter with a field empty: what is wrong, and how to fix it.
    pub incomplete: String,
    pub incomplete_hint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub document: String,
}

#[derive(Debug, Clone)]
pub struct EditorStep {
    /// The document's name, in words (`policy`), and its placeholder (`{policy}`).
    pub document: String,
    pub checker: Checker,
    /// The first is loaded into the editor at start.
    pub templates: Vec<Template>,
    pub request: RequestTemplate,
    pub failed: String,
    pub done_when: Option<DoneWhen>,
}

/// A key that sends one more request from a step's pane (`s`: short leases).
#[derive(Debug, Clone)]
pub struct Action {
    pub key: char,
    pub label: String,
    pub request: RequestTemplate,
    pub done: String,
    pub failed: String,
}

#[derive(Debug, Clone)]
pub struct IssueStep {
    pub request: RequestTemplate,
    pub failed: String,
    /// The hint when Vault's answer is not credentials.
    pub not_credentials: String,
    pub idle: String,
    /// The answer's fields the pane shows, in order; each must be in the answer.
    pub show: Vec<String>,
    /// Those masked until `v`.
    pub secret: Vec<String>,
    /// What `v` reveals, in words (`the secret key`).
    pub secret_name: String,
    /// `NAME=template` lines a learner pastes into a shell (`c` copies them).
    pub exports: Vec<(String, String)>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct ProbeStep {
    pub idle: String,
    pub running: String,
    /// What it means when the credentials work (`AWS accepted the keys`).
    pub accepted: String,
    /// The hint when the service denies the action: the lesson of least privilege.
    pub denied_hint: String,
}

#[derive(Debug, Clone)]
pub struct RevokeStep {
    pub idle: String,
}

impl Lab {
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first step of a kind, by the kind's name.
    pub fn first(&self, kind: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.kind.name() == kind)
    }

    /// Where the credentials come from.
    pub fn issue(&self) -> Option<(usize, &IssueStep)> {
        self.steps
            .iter()
            .enumerate()
            .find_map(|(i, s)| match &s.kind {
                StepKind::Issue(issue) => Some((i, issue)),
                _ => None,
            })
    }

    /// Whether a placeholder names a secret the lab declares: a form field marked secret,
    /// or a credentials field its issue step lists as secret (`creds.secret_key`).
    pub fn is_secret(&self, name: &str) -> bool {
        match name.strip_prefix("creds.") {
            Some(field) => self
                .issue()
                .is_some_and(|(_, issue)| issue.secret.iter().any(|s| s == field)),
            None => self.fields().any(|f| f.name == name && f.secret),
        }
    }

    /// Whether a field of a Vault request or answer is a secret, by what the lab declares
    /// (its issue step's secret fields, its form's secret fields) and its engine does.
    pub fn is_secret_field(&self, field: &str) -> bool {
        self.engine.secret_fields.contains(&field)
            || self.is_secret(field)
            || self.is_secret(&format!("creds.{field}"))
    }

    /// Every form field of the lab, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.steps.iter().flat_map(|s| match &s.kind {
            StepKind::Form(form) => form.fields.as_slice(),
            _ => &[],
        })
    }

    /// The mount the lab's engine works at.
    pub fn mount(&self) -> &str {
        self.var("mount").unwrap_or(self.engine.mount_type)
    }
}
