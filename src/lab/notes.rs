//! Speaker notes: `labs/<id>/notes.toml`, what a presenter says on each pane, what to
//! point at, and the questions a room asks. `vaultlab notes` shows them on a second
//! screen. A lab without the file has no notes; a file with a mistake is reported as
//! lab.toml's mistakes are: the file, its line and column, and what was expected.
//!
//! ```toml
//! [overview]
//! say = "What to say."
//! point = ["what to point at", "…"]
//! questions = [{ q = "A question the room asks", a = "an answer" }]
//!
//! [steps.<step id>]     # one per step, by its id in lab.toml
//! [finish]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::load::line_and_column;
use super::{LabError, LabSource, model::Lab};

/// The file's name in a lab's folder.
pub const FILE: &str = "notes.toml";

/// One pane's notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    pub say: String,
    pub point: Vec<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub q: String,
    pub a: String,
}

/// A lab's notes, by pane; `None` where the file has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabNotes {
    pub overview: Option<Notes>,
    /// By the step's place in the lab.
    pub steps: Vec<Option<Notes>>,
    pub finish: Option<Notes>,
}

impl LabNotes {
    pub fn step(&self, step: usize) -> Option<&Notes> {
        self.steps.get(step).and_then(Option::as_ref)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotesFile {
    overview: Option<NotesEntry>,
    #[serde(default)]
    steps: BTreeMap<Spanned<String>, NotesEntry>,
    finish: Option<NotesEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotesEntry {
    say: Spanned<String>,
    #[serde(default)]
    point: Vec<String>,
    #[serde(default)]
    questions: Vec<QuestionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionEntry {
    q: String,
    a: String,
}

/// The lab's notes, from its folder; none when it has no notes file.
pub(super) fn load(source: &dyn LabSource, lab: &Lab) -> Result<LabNotes, LabError> {
    if !source.has(FILE) {
        return Ok(LabNotes {
            steps: vec![None; lab.steps.len()],
            ..LabNotes::default()
        });
    }
    let text = source.read(FILE)?;
    parse(&text, lab).map_err(|(offset, problem)| {
        let (line, column) = line_and_column(&text, offset);
        LabError::Invalid {
            path: source.display_path(FILE),
            line,
            column,
            problem,
        }
    })
}

/// Reads the notes; a mistake comes back with its byte offset in `text`.
fn parse(text: &str, lab: &Lab) -> Result<LabNotes, (usize, String)> {
    let file: NotesFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |span| span.start);
        (at, format!("{}; expected {}", e.message().trim(), SHAPE))
    })?;
    let mut steps = vec![None; lab.steps.len()];
    for (id, entry) in file.steps {
        let Some(index) = lab.steps.iter().position(|s| s.id == *id.get_ref()) else {
            let ids: Vec<&str> = lab.steps.iter().map(|s| s.id.as_str()).collect();
            return Err((
                id.span().start,
                format!(
                    "no step {:?} in lab.toml; expected one of: {}",
                    id.get_ref(),
                    ids.join(", ")
                ),
            ));
        };
        steps[index] = Some(notes(entry)?);
    }
    Ok(LabNotes {
        overview: file.overview.map(notes).transpose()?,
        steps,
        finish: file.finish.map(notes).transpose()?,
    })
}

const SHAPE: &str = "[overview], [steps.<step id>] and [finish] tables, each with say = \"…\" and optional point = [\"…\"] and questions = [{ q = \"…\", a = \"…\" }]";

fn notes(entry: NotesEntry) -> Result<Notes, (usize, String)> {
    if entry.say.get_ref().trim().is_empty() {
        return Err((
            entry.say.span().start,
            "`say` is empty; expected what to say on this pane".to_owned(),
        ));
    }
    Ok(Notes {
        say: entry.say.into_inner().trim().to_owned(),
        point: entry.point,
        questions: entry
            .questions
            .into_iter()
            .map(|q| Question { q: q.q, a: q.a })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{DEFAULT_LAB, Labs, load_embedded, load_from_dir};

    /// Every shipped lab has notes for its overview, each of its steps and its finish.
    #[test]
    fn every_shipped_lab_has_notes_for_every_pane() {
        for id in Labs::Embedded.ids().unwrap() {
            let lab = load_embedded(&id).unwrap();
            assert!(lab.notes.overview.is_some(), "{id}: no overview notes");
            assert!(lab.notes.finish.is_some(), "{id}: no finish notes");
            for (index, step) in lab.steps.iter().enumerate() {
                let notes = lab.notes.step(index);
                let notes = notes.unwrap_or_else(|| panic!("{id}: no notes for {}", step.id));
                assert!(
                    !notes.questions.is_empty(),
                    "{id}/{}: no questions",
                    step.id
                );
            }
        }
    }

    /// The shipped lab with `notes` as its notes file, loaded from a folder.
    fn with_notes(notes: Option<&str>) -> Result<Lab, LabError> {
        let dir = tempfile::tempdir().unwrap();
        // The folder named as the lab's id, as the loader asks.
        let lab_dir = dir.path().join(DEFAULT_LAB);
        let shipped = crate::lab::Embedded(&crate::lab::EMBEDDED_LABS, DEFAULT_LAB);
        for file in [
            "lab.toml",
            "policies/lab-ec2-all.json",
            "policies/describe-instances-only.json",
            "policies/deny-all.json",
        ] {
            let path = lab_dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, shipped.read(file).unwrap()).unwrap();
        }
        if let Some(notes) = notes {
            std::fs::write(lab_dir.join(FILE), notes).unwrap();
        }
        load_from_dir(dir.path(), DEFAULT_LAB)
    }

    #[test]
    fn a_lab_without_notes_loads_with_none() {
        let lab = with_notes(None).unwrap();
        assert_eq!(lab.notes.steps, vec![None; lab.steps.len()]);
    }

    #[test]
    fn notes_are_read_by_step_id() {
        let lab = with_notes(Some(
            "[steps.revoke]\nsay = \"Revoke.\"\npoint = [\"the lease\"]\nquestions = [{ q = \"Why?\", a = \"Because.\" }]\n",
        ))
        .unwrap();
        let notes = lab.notes.step(5).unwrap();
        assert_eq!(notes.say, "Revoke.");
        assert_eq!(notes.point, ["the lease"]);
        assert_eq!(notes.questions[0].a, "Because.");
        assert!(lab.notes.step(0).is_none());
    }

    #[test]
    fn mistakes_in_the_notes_name_the_file_the_line_and_what_was_expected() {
        let unknown = with_notes(Some(
            "[overview]\nsay = \"Hi\"\n\n[steps.nope]\nsay = \"x\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            unknown.contains("notes.toml, line 4")
                && unknown.contains("no step \"nope\"")
                && unknown.contains("expected one of: enable, root-keys"),
            "{unknown}"
        );
        let missing = with_notes(Some("[finish]\npoint = [\"x\"]\n"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("notes.toml, line 1") && missing.contains("missing field `say`"),
            "{missing}"
        );
        let typo = with_notes(Some("[overview]\nsay = \"Hi\"\nwhat = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            typo.contains("line 3") && typo.contains("expected [overview]"),
            "{typo}"
        );
        let empty = with_notes(Some("[overview]\nsay = \"  \"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            empty.contains("line 2, column 7") && empty.contains("`say` is empty"),
            "{empty}"
        );
    }
}
