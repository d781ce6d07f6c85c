//! Lab content as data: `labs/<id>/lab.toml`, its prose and its policy templates.
//!
//! The labs shipped with vaultlab are embedded in the binary; `--labs DIR` reads a folder
//! of the same shape instead, so a facilitator can change the words without a rebuild.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::Deserialize;

static EMBEDDED_LABS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/labs");

/// The lab vaultlab opens unless told otherwise.
pub const DEFAULT_LAB: &str = "dynamic-secrets-aws";

/// The placeholders a command template may use; the app fills them in.
pub const PLACEHOLDERS: &[&str] = &["mount", "role", "region", "lease_id", "vault_addr"];

/// One kind of step: each has its own pane and its own action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    EnableEngine,
    RootKeys,
    RolePolicy,
    Generate,
    TestKeys,
    Revoke,
}

impl StepKind {
    /// The order the lab's steps must come in: each builds on the one before.
    pub const ORDER: [StepKind; 6] = [
        StepKind::EnableEngine,
        StepKind::RootKeys,
        StepKind::RolePolicy,
        StepKind::Generate,
        StepKind::TestKeys,
        StepKind::Revoke,
    ];
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub kind: StepKind,
    pub title: String,
    pub explain: String,
    /// The command a learner would type, with `{placeholders}`.
    pub cli: String,
    pub legacy_cli: Option<String>,
    pub legacy_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyTemplate {
    pub name: String,
    pub document: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lab {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub mount: String,
    pub role: String,
    pub region: String,
    pub steps: Vec<Step>,
    /// The first one is the lab's own policy, loaded into the editor at start.
    pub policy_templates: Vec<PolicyTemplate>,
}

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("no lab named {id:?} (labs here: {available})")]
    Unknown { id: String, available: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not a valid lab file: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabFile {
    id: String,
    title: String,
    summary: String,
    mount: String,
    role: String,
    region: String,
    steps: Vec<Step>,
    policy_templates: Vec<TemplateFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    name: String,
    file: String,
}

/// Where a lab's files come from.
trait LabSource {
    fn read(&self, relative: &str) -> Result<String, LabError>;
    fn display_path(&self, relative: &str) -> PathBuf;
}

struct Embedded<'a>(&'a Dir<'static>, &'a str);

impl LabSource for Embedded<'_> {
    fn read(&self, relative: &str) -> Result<String, LabError> {
        let file = self
            .0
            .get_file(Path::new(self.1).join(relative))
            .ok_or_else(|| LabError::Read {
                path: self.display_path(relative),
                reason: "no such file in the embedded labs".to_owned(),
            })?;
        file.contents_utf8()
            .map(str::to_owned)
            .ok_or_else(|| LabError::Read {
                path: self.display_path(relative),
                reason: "not UTF-8".to_owned(),
            })
    }

    fn display_path(&self, relative: &str) -> PathBuf {
        Path::new("labs").join(self.1).join(relative)
    }
}

struct OnDisk(PathBuf);

impl LabSource for OnDisk {
    fn read(&self, relative: &str) -> Result<String, LabError> {
        let path = self.display_path(relative);
        std::fs::read_to_string(&path).map_err(|e| LabError::Read {
            path,
            reason: e.to_string(),
        })
    }

    fn display_path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }
}

/// Loads a lab shipped inside the binary.
pub fn load_embedded(id: &str) -> Result<Lab, LabError> {
    if EMBEDDED_LABS.get_dir(id).is_none() {
        return Err(LabError::Unknown {
            id: id.to_owned(),
            available: embedded_ids().join(", "),
        });
    }
    load(&Embedded(&EMBEDDED_LABS, id))
}

/// Loads `<labs_dir>/<id>/lab.toml` from disk (`--labs DIR`).
pub fn load_from_dir(labs_dir: &Path, id: &str) -> Result<Lab, LabError> {
    load(&OnDisk(labs_dir.join(id)))
}

pub fn embedded_ids() -> Vec<String> {
    EMBEDDED_LABS
        .dirs()
        .filter_map(|dir| dir.path().file_name()?.to_str().map(str::to_owned))
        .collect()
}

fn load(source: &dyn LabSource) -> Result<Lab, LabError> {
    let lab_path = source.display_path("lab.toml");
    let invalid = |reason: String| LabError::Invalid {
        path: lab_path.clone(),
        reason,
    };
    // toml's message names the line and column and quotes the offending line.
    let file: LabFile =
        toml::from_str(&source.read("lab.toml")?).map_err(|e| invalid(e.to_string()))?;

    let kinds: Vec<StepKind> = file.steps.iter().map(|s| s.kind).collect();
    if kinds != StepKind::ORDER {
        return Err(invalid(format!(
            "the steps must be, in this order: {:?}; found {kinds:?}",
            StepKind::ORDER
        )));
    }
    for step in &file.steps {
        let commands = [Some(&step.cli), step.legacy_cli.as_ref()];
        for command in commands.into_iter().flatten() {
            if let Some(unknown) = unknown_placeholder(command) {
                return Err(invalid(format!(
                    "step {:?}: unknown placeholder {{{unknown}}} in {command:?} (known: {})",
                    step.title,
                    PLACEHOLDERS.join(", ")
                )));
            }
        }
    }
    if file.policy_templates.is_empty() {
        return Err(invalid(
            "a lab needs at least one policy template".to_owned(),
        ));
    }
    let mut policy_templates = Vec::new();
    for template in file.policy_templates {
        let document = source.read(&template.file)?;
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&document) {
            return Err(LabError::Invalid {
                path: source.display_path(&template.file),
                reason: format!("not JSON: {e}"),
            });
        }
        policy_templates.push(PolicyTemplate {
            name: template.name,
            document,
        });
    }
    Ok(Lab {
        id: file.id,
        title: file.title,
        summary: file.summary,
        mount: file.mount,
        role: file.role,
        region: file.region,
        steps: file.steps,
        policy_templates,
    })
}

/// A command template with its `{placeholders}` filled in; unknown names stay as they are.
pub fn fill_placeholders(template: &str, value_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match value_of(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first `{name}` in `template` that is not a known placeholder.
fn unknown_placeholder(template: &str) -> Option<&str> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Some(name);
        }
        rest = &after[close + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_lab(dir: &Path, lab_toml: &str) {
        let lab = dir.join("demo");
        std::fs::create_dir_all(lab.join("policies")).unwrap();
        std::fs::write(lab.join("lab.toml"), lab_toml).unwrap();
        std::fs::write(lab.join("policies/p.json"), "{\"Version\":\"2012-10-17\"}").unwrap();
    }

    /// The shipped lab.toml, its first two templates pointed at the test's `p.json`.
    fn embedded_toml() -> String {
        Embedded(&EMBEDDED_LABS, DEFAULT_LAB)
            .read("lab.toml")
            .unwrap()
            .replace("policies/lab-ec2-all.json", "policies/p.json")
            .replace("policies/describe-instances-only.json", "policies/p.json")
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let filled =
            fill_placeholders("vault read {mount}/creds/{role} {x} {", |name| match name {
                "mount" => Some("aws".into()),
                "role" => Some("my-role".into()),
                _ => None,
            });
        assert_eq!(filled, "vault read aws/creds/my-role {x} {");
    }

    #[test]
    fn the_shipped_lab_loads_with_six_steps_in_order() {
        let lab = load_embedded(DEFAULT_LAB).expect("the shipped lab is valid");
        let kinds: Vec<_> = lab.steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, StepKind::ORDER);
        assert_eq!(lab.mount, "aws");
        assert_eq!(lab.role, "my-role");
        assert!(lab.policy_templates[0].document.contains("ec2:*"));
        assert_eq!(lab.policy_templates.len(), 3);
    }

    #[test]
    fn an_unknown_lab_names_the_ones_there_are() {
        let error = load_embedded("nope").unwrap_err().to_string();
        assert!(error.contains(DEFAULT_LAB), "{error}");
    }

    #[test]
    fn a_lab_folder_on_disk_overrides_the_words() {
        let dir = tempfile::tempdir().unwrap();
        let toml = embedded_toml()
            .replace("Dynamic secrets with Vault and AWS", "Our workshop")
            .replace("policies/deny-all.json", "policies/p.json");
        write_lab(dir.path(), &toml);
        let lab = load_from_dir(dir.path(), "demo").expect("valid lab");
        assert_eq!(lab.title, "Our workshop");
    }

    #[test]
    fn malformed_toml_is_refused_with_its_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write_lab(dir.path(), "id = \"demo\"\ntitle = \n");
        let error = load_from_dir(dir.path(), "demo").unwrap_err().to_string();
        assert!(error.contains("demo/lab.toml"), "{error}");
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let toml = embedded_toml().replacen("kind = \"enable-engine\"", "kind = \"revoke\"", 1);
        write_lab(dir.path(), &toml);
        let error = load_from_dir(dir.path(), "demo").unwrap_err().to_string();
        assert!(error.contains("the steps must be"), "{error}");
    }

    #[test]
    fn an_unknown_placeholder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let toml = embedded_toml().replace("-path={mount}", "-path={mountpoint}");
        write_lab(dir.path(), &toml);
        let error = load_from_dir(dir.path(), "demo").unwrap_err().to_string();
        assert!(error.contains("{mountpoint}"), "{error}");
    }

    #[test]
    fn a_policy_template_that_is_not_json_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let toml = embedded_toml().replace("policies/deny-all.json", "policies/broken.json");
        write_lab(dir.path(), &toml);
        std::fs::write(dir.path().join("demo/policies/broken.json"), "{nope").unwrap();
        let error = load_from_dir(dir.path(), "demo").unwrap_err().to_string();
        assert!(error.contains("broken.json"), "{error}");
        assert!(error.contains("not JSON"), "{error}");
    }
}
