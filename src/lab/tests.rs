//! Loading labs: the shipped one, folders on disk, and every kind of mistake in a lab file
//! reported with its file, line and what was expected.

use std::path::Path;

use super::*;

/// The shipped lab's folder copied to `dir/demo`, its lab.toml changed by `edit`.
fn demo(dir: &Path, edit: impl Fn(String) -> String) -> Result<Lab, LabError> {
    let lab = dir.join("demo");
    std::fs::create_dir_all(lab.join("policies")).unwrap();
    let source = Embedded(&EMBEDDED_LABS, DEFAULT_LAB);
    for file in [
        "policies/lab-ec2-all.json",
        "policies/describe-instances-only.json",
        "policies/deny-all.json",
    ] {
        std::fs::write(lab.join(file), source.read(file).unwrap()).unwrap();
    }
    // The folder's name is the lab's id.
    let toml = source.read("lab.toml").unwrap().replacen(
        &format!("id = {DEFAULT_LAB:?}"),
        "id = \"demo\"",
        1,
    );
    std::fs::write(lab.join("lab.toml"), edit(toml)).unwrap();
    load_from_dir(dir, "demo")
}

fn error(edit: impl Fn(String) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), edit).unwrap_err().to_string()
}

/// The line of lab.toml where `needle` first is (1-based).
fn line_of(needle: &str) -> usize {
    let text = Embedded(&EMBEDDED_LABS, DEFAULT_LAB)
        .read("lab.toml")
        .unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_shipped_lab_loads_with_its_six_steps_as_generic_kinds() {
    let lab = load_embedded(DEFAULT_LAB).expect("the shipped lab is valid");
    let kinds: Vec<_> = lab.steps.iter().map(|s| s.kind.name()).collect();
    assert_eq!(
        kinds,
        ["request", "form", "editor", "issue", "probe", "revoke"]
    );
    assert_eq!(lab.mount(), "aws");
    assert_eq!(lab.var("role"), Some("my-role"));
    assert_eq!(lab.engine.id, "aws");
    let StepKind::Editor(editor) = &lab.steps[2].kind else {
        panic!("the third step edits the policy");
    };
    assert!(editor.templates[0].document.contains("ec2:*"));
    assert_eq!(editor.templates.len(), 3);
    assert_eq!(lab.finish.done, "All six steps done.");
}

#[test]
fn every_shipped_lab_loads_and_is_listed() {
    let ids = Labs::Embedded.ids().unwrap();
    assert!(ids.contains(&DEFAULT_LAB.to_owned()), "{ids:?}");
    for id in ids {
        let lab = load_embedded(&id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lab.id, id);
        assert!(!lab.line.is_empty());
    }
}

#[test]
fn an_unknown_lab_names_the_ones_there_are() {
    let error = load_embedded("nope").unwrap_err().to_string();
    assert!(error.contains(DEFAULT_LAB), "{error}");
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), |toml| toml).unwrap();
    let error = load_from_dir(dir.path(), "nope").unwrap_err().to_string();
    assert!(error.contains("labs here: demo"), "{error}");
}

#[test]
fn a_lab_folder_on_disk_overrides_the_words() {
    let dir = tempfile::tempdir().unwrap();
    let lab = demo(dir.path(), |toml| {
        toml.replace("Dynamic secrets with Vault and AWS", "Our workshop")
            .replace("tab = \"Enable\"", "tab = \"Mount\"")
    })
    .expect("valid lab");
    assert_eq!(lab.title, "Our workshop");
    assert_eq!(lab.steps[0].tab, "Mount");
    assert_eq!(Labs::Dir(dir.path().to_owned()).ids().unwrap(), ["demo"]);
}

#[test]
fn malformed_toml_is_refused_with_its_path_and_line() {
    let error = error(|_| "id = \"demo\"\ntitle = \n".to_owned());
    assert!(error.contains("demo/lab.toml, line 2"), "{error}");
}

#[test]
fn an_unknown_placeholder_is_refused_at_its_line_with_the_known_ones() {
    let error = error(|toml| toml.replace("-path={mount}", "-path={mountpoint}"));
    let line = line_of("-path={mount}");
    assert!(error.contains(&format!("lab.toml, line {line}")), "{error}");
    assert!(
        error.contains("unknown placeholder {mountpoint}"),
        "{error}"
    );
    assert!(error.contains("expected one of:"), "{error}");
    assert!(error.contains("mount"), "{error}");
}

#[test]
fn a_secret_is_never_shown_only_sent() {
    let error = error(|toml| {
        toml.replace(
            "access_key=$AWS_ACCESS_KEY_ID secret_key=$AWS_SECRET_ACCESS_KEY",
            "secret_key={secret_key}",
        )
    });
    assert!(
        error.contains("{secret_key} is a secret: it may only be a request body's whole value"),
        "{error}"
    );
}

#[test]
fn a_key_of_another_kind_of_step_is_refused() {
    let error = error(|toml| {
        toml.replacen(
            "running = \"Mounting…\"",
            "running = \"Mounting…\"\nedit = \"edit it\"",
            1,
        )
    });
    assert!(
        error.contains("`edit` does not belong in a request step (it is for: form)"),
        "{error}"
    );
    assert!(
        error.contains(&format!("line {}", line_of("running = \"Mounting…\"") + 1)),
        "{error}"
    );
}

#[test]
fn a_step_without_what_its_kind_needs_is_refused() {
    let error = error(|toml| toml.replace("running = \"Mounting…\"\n", ""));
    assert!(
        error.contains("step \"enable\": a request step needs `running`"),
        "{error}"
    );
}

#[test]
fn unknown_kinds_engines_checkers_and_methods_say_what_there_is() {
    let said = error(|toml| toml.replacen("kind = \"request\"", "kind = \"mount\"", 1));
    assert!(
        said.contains(
            "unknown kind \"mount\"; expected one of: request, form, editor, issue, probe, revoke"
        ),
        "{said}"
    );
    let said = error(|toml| toml.replace("engine = \"aws\"", "engine = \"gcp\""));
    assert!(
        said.contains("unknown engine \"gcp\"; expected one of: aws, database"),
        "{said}"
    );
    let said = error(|toml| toml.replace("checker = \"iam-policy\"", "checker = \"yaml\""));
    assert!(
        said.contains("unknown checker \"yaml\"; expected one of: iam-policy, sql"),
        "{said}"
    );
    let said = error(|toml| toml.replace("method = \"POST\"", "method = \"PATCH\""));
    assert!(said.contains("unknown method \"PATCH\""), "{said}");
}

#[test]
fn credentials_are_issued_before_they_are_used() {
    // The probe step moved before the issue step.
    let error = error(|toml| {
        let probe = toml.find("[[steps]]\nid = \"test-keys\"").unwrap();
        let revoke = toml.find("[[steps]]\nid = \"revoke\"").unwrap();
        let issue = toml.find("[[steps]]\nid = \"generate\"").unwrap();
        let mut moved = toml[..issue].to_owned();
        moved.push_str(&toml[probe..revoke]);
        moved.push_str(&toml[issue..probe]);
        moved.push_str(&toml[revoke..]);
        moved
    });
    assert!(
        error.contains("a probe step uses credentials; expected an issue step before it"),
        "{error}"
    );
}

#[test]
fn the_engine_gets_the_fields_it_reads() {
    let error = error(|toml| {
        toml.replace(
            "{ name = \"region\", label = \"Region\", default = \"us-east-1\", known_as = [\"AWS_REGION\", \"AWS_DEFAULT_REGION\"] },\n",
            "",
        )
        .replace(" region={region}", "")
        .replace(", region = \"{region}\"", "")
        .replace(" --region {region}", "")
        .replace("\n  \"AWS_REGION={region}\",", "")
    });
    assert!(
        error.contains("the aws engine reads a form field named \"region\""),
        "{error}"
    );
}

#[test]
fn a_template_that_its_checker_cannot_parse_is_refused_with_its_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let error = demo(dir.path(), |toml| {
        std::fs::write(dir.path().join("demo/policies/broken.json"), "{\n  nope").unwrap();
        toml.replace("policies/deny-all.json", "policies/broken.json")
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("policies/broken.json, line 2"), "{error}");
    assert!(error.contains("not JSON"), "{error}");
}

#[test]
fn a_placeholder_left_open_is_refused_at_its_brace() {
    let error = error(|toml| {
        toml.replacen(
            "path = \"sys/mounts/{mount}\"",
            "path = \"sys/mounts/{mount\"",
            1,
        )
    });
    let line = line_of("path = \"sys/mounts/{mount}\"");
    assert!(
        error.contains(&format!("lab.toml, line {line}, column ")),
        "{error}"
    );
    assert!(
        error.contains("{mount is never closed: expected {mount}"),
        "{error}"
    );
}

#[test]
fn a_template_file_that_is_not_there_is_named_at_its_line_in_lab_toml() {
    let error = error(|toml| toml.replace("policies/deny-all.json", "policies/deny.json"));
    let line = line_of("policies/deny-all.json");
    assert!(
        error.contains(&format!("lab.toml, line {line}, column ")),
        "{error}"
    );
    assert!(error.contains("policies/deny.json"), "{error}");
    assert!(
        error.contains("expected a file in the lab's folder"),
        "{error}"
    );
}

#[test]
fn an_editor_step_missing_a_key_is_called_an_editor_step() {
    let error = error(|toml| toml.replace("failed = \"Vault did not accept the role\"\n", ""));
    assert!(
        error.contains("step \"role-policy\": an editor step needs `failed`"),
        "{error}"
    );
}

#[test]
fn a_lab_file_that_is_not_utf8_is_refused_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), |toml| toml).unwrap();
    let mut bytes = b"id = \"demo\"\n# caf".to_vec();
    bytes.push(0xE9);
    std::fs::write(dir.path().join("demo/lab.toml"), bytes).unwrap();
    let error = load_from_dir(dir.path(), "demo").unwrap_err().to_string();
    assert!(error.contains("lab.toml, line 2, column 6"), "{error}");
    assert!(error.contains("expected UTF-8"), "{error}");
}

#[test]
fn a_missing_mount_is_reported_at_the_vars_table() {
    let error = error(|toml| toml.replace("mount = \"aws\"", "mnt = \"aws\""));
    let line = line_of("mount = \"aws\"") - 1;
    assert!(
        error.contains(&format!(
            "lab.toml, line {line}, column 1: missing `mount` in [vars]"
        )),
        "{error}"
    );
}

#[test]
fn a_lab_whose_id_is_not_its_folder_name_is_refused_at_the_id() {
    let said = error(|toml| toml.replacen("id = \"demo\"", "id = \"other\"", 1));
    assert!(
        said.contains(&format!(
            "demo/lab.toml, line {}",
            line_of("id = \"dynamic-secrets-aws\"")
        )) && said.contains("\"other\" differs from the lab's folder name")
            && said.contains("expected id = \"demo\""),
        "{said}"
    );
}

#[test]
fn an_action_cannot_take_the_inside_views_key() {
    let said = error(|toml| toml.replace("key = \"s\"", "key = \"i\""));
    assert!(said.contains("key 'i' is the app's own"), "{said}");
}
