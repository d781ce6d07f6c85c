//! Labs as data: `labs/<id>/lab.toml` and its files (templates, notes). A lab's steps are
//! generic kinds declared in its file (a request, a form, an editor, an issue, a probe, a
//! revoke-and-prove), and every word on screen that belongs to the lab is in its folder.
//!
//! The labs shipped with vaultlab are embedded in the binary; `--labs DIR` reads a folder
//! of the same shape instead, so a facilitator can change the words without a rebuild.

mod file;
mod kinds;
mod load;
pub mod model;
pub mod notes;
pub mod template;

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

pub use model::{Lab, Step, StepKind};
pub use template::fill as fill_placeholders;

static EMBEDDED_LABS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/labs");

/// The lab vaultlab opens unless told otherwise.
pub const DEFAULT_LAB: &str = "dynamic-secrets-aws";

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("no lab named {id:?} (labs here: {available})")]
    Unknown { id: String, available: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    /// `--labs DIR` names a folder that cannot be listed (missing, not a folder, no access).
    #[error("cannot read the labs folder {path}: {reason}", path = .path.display())]
    Folder { path: PathBuf, reason: String },
    #[error("{path}, line {line}, column {column}: {problem}", path = .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        problem: String,
    },
}

/// Where a lab's files come from.
trait LabSource {
    fn read(&self, relative: &str) -> Result<String, LabError>;
    /// Whether the lab's folder has this file (a lab may have no notes).
    fn has(&self, relative: &str) -> bool;
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

    fn has(&self, relative: &str) -> bool {
        self.0.get_file(Path::new(self.1).join(relative)).is_some()
    }
}

struct OnDisk(PathBuf);

impl LabSource for OnDisk {
    fn read(&self, relative: &str) -> Result<String, LabError> {
        let path = self.display_path(relative);
        let bytes = std::fs::read(&path).map_err(|e| LabError::Read {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        String::from_utf8(bytes).map_err(|e| {
            // Where the first byte that is not UTF-8 is, in the text before it.
            let valid = e.utf8_error().valid_up_to();
            let before = String::from_utf8_lossy(&e.as_bytes()[..valid]);
            let (line, column) = load::line_and_column(&before, before.len());
            LabError::Invalid {
                path,
                line,
                column,
                problem: "a byte that is not UTF-8; expected UTF-8 text".to_owned(),
            }
        })
    }

    fn display_path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn has(&self, relative: &str) -> bool {
        self.display_path(relative).exists()
    }
}

/// Where labs are read from: the ones built in, or a folder of lab folders (`--labs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labs {
    Embedded,
    Dir(PathBuf),
}

impl Labs {
    pub fn new(dir: Option<&Path>) -> Labs {
        match dir {
            Some(dir) => Labs::Dir(dir.to_owned()),
            None => Labs::Embedded,
        }
    }

    /// The ids of the labs there, sorted; a folder that cannot be listed says why.
    pub fn ids(&self) -> Result<Vec<String>, LabError> {
        let mut ids: Vec<String> = match self {
            Labs::Embedded => EMBEDDED_LABS
                .dirs()
                .filter(|dir| dir.get_file(dir.path().join("lab.toml")).is_some())
                .filter_map(|dir| dir.path().file_name()?.to_str().map(str::to_owned))
                .collect(),
            Labs::Dir(dir) => std::fs::read_dir(dir)
                .map_err(|e| LabError::Folder {
                    path: dir.clone(),
                    reason: e.to_string(),
                })?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.join("lab.toml").is_file())
                .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
                .collect(),
        };
        ids.sort();
        Ok(ids)
    }

    /// Loads the lab `id`; one that is not there is named with the ones that are.
    pub fn load(&self, id: &str) -> Result<Lab, LabError> {
        let ids = self.ids()?;
        if !ids.iter().any(|known| known == id) {
            let available = match ids.is_empty() {
                true => "none".to_owned(),
                false => ids.join(", "),
            };
            return Err(LabError::Unknown {
                id: id.to_owned(),
                available,
            });
        }
        let (embedded, on_disk);
        let source: &dyn LabSource = match self {
            Labs::Embedded => {
                embedded = Embedded(&EMBEDDED_LABS, id);
                &embedded
            }
            Labs::Dir(dir) => {
                on_disk = OnDisk(dir.join(id));
                &on_disk
            }
        };
        let mut lab = load::Loader::new(source)?.load(id)?;
        lab.notes = notes::load(source, &lab)?;
        Ok(lab)
    }
}

/// Loads a lab shipped inside the binary.
pub fn load_embedded(id: &str) -> Result<Lab, LabError> {
    Labs::Embedded.load(id)
}

/// Loads `<labs_dir>/<id>/lab.toml` from disk (`--labs DIR`).
pub fn load_from_dir(labs_dir: &Path, id: &str) -> Result<Lab, LabError> {
    Labs::Dir(labs_dir.to_owned()).load(id)
}

#[cfg(test)]
mod tests;
