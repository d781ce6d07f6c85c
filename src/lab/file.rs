//! `lab.toml` as written: the shapes serde reads, every value a lab author writes kept
//! with its place in the file (`Spanned`), so a mistake is reported at its line. What a
//! kind of step needs is checked by `load`, not here.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A string and where it is in the file.
pub type Text = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    pub id: Text,
    pub title: Text,
    pub line: Text,
    pub engine: Text,
    pub summary: Text,
    pub sandbox: Text,
    pub live: Text,
    /// Live mode with vaultlab's own calls to the engine's service going elsewhere than
    /// the service itself (moto, LocalStack, a sandbox): said instead of `live`.
    pub live_endpoint: Option<Text>,
    pub second_terminal: Text,
    pub checks: Text,
    #[serde(default)]
    pub vars: BTreeMap<String, Text>,
    pub leases: LeasesFile,
    pub finish: FinishFile,
    pub steps: Vec<Spanned<StepFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeasesFile {
    pub what: Text,
    pub earlier: Text,
    pub at_quit: Text,
    /// The quit prompt in sandbox mode: what ends with the embedded sandbox.
    pub at_quit_sandbox: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishFile {
    pub done: Text,
    pub summary: Text,
    pub try_next: Vec<Text>,
}

/// A step, whatever its kind: the keys every step has, and the ones some kinds have
/// (`load` says which belong to which kind).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub id: Text,
    pub kind: Text,
    pub tab: Text,
    pub title: Text,
    pub enter: Text,
    pub explain: Text,
    pub cli: Text,
    pub legacy_cli: Option<Text>,
    pub legacy_note: Option<Text>,

    pub request: Option<Spanned<RequestFile>>,
    pub failed: Option<Text>,
    pub done_when: Option<Spanned<DoneWhenFile>>,
    pub already: Option<Spanned<AlreadyFile>>,
    pub read_back: Option<Spanned<ReadBackFile>>,
    pub facts: Option<Vec<(Text, Text)>>,
    pub idle: Option<Text>,
    pub running: Option<Text>,
    pub done: Option<Text>,

    pub fields: Option<Vec<Spanned<FieldFile>>>,
    pub verify: Option<Spanned<bool>>,
    pub edit: Option<Text>,
    pub incomplete: Option<Text>,
    pub incomplete_hint: Option<Text>,

    pub document: Option<Text>,
    pub checker: Option<Text>,
    pub templates: Option<Vec<Spanned<TemplateFile>>>,

    pub show: Option<Vec<Text>>,
    pub secret: Option<Vec<Text>>,
    pub secret_name: Option<Text>,
    pub exports: Option<Vec<Text>>,
    pub not_credentials: Option<Text>,
    pub actions: Option<Vec<Spanned<ActionFile>>>,

    pub accepted: Option<Text>,
    pub denied_hint: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFile {
    pub method: Text,
    pub path: Text,
    #[serde(default)]
    pub body: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneWhenFile {
    pub read: Text,
    #[serde(default)]
    pub field: Vec<Text>,
    pub equals: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlreadyFile {
    pub when: Text,
    pub done: Text,
    pub other: Text,
    pub other_hint: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadBackFile {
    pub read: Text,
    pub failed: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldFile {
    pub name: Text,
    pub label: Text,
    #[serde(default)]
    pub secret: bool,
    pub default: Option<Text>,
    /// Other names the value goes by in pasted text (`export NAME=value`, `name = value`).
    #[serde(default)]
    pub known_as: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    pub name: Text,
    pub file: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    pub key: Text,
    pub label: Text,
    pub request: Spanned<RequestFile>,
    pub done: Text,
    pub failed: Text,
}
