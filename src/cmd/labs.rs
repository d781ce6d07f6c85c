//! `vaultlab labs`: the labs there are, one a line, the default marked. A lab that cannot
//! be read is listed with why, and the command then exits 1.

use std::io::Write;
use std::process::ExitCode;

use super::args::LabsArgs;
use super::{Outcome, UserError};
use crate::lab::{DEFAULT_LAB, Labs};

pub fn run(args: LabsArgs) -> Outcome {
    let labs = Labs::new(args.labs.as_deref());
    // A folder that cannot be listed is the user's to fix: one line, before any output.
    labs.ids().map_err(UserError::from)?;
    let mut out = std::io::stdout().lock();
    let ok = list(&labs, &mut out)?;
    out.flush()?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes one line per lab; returns whether every one could be read.
pub fn list(labs: &Labs, out: &mut impl Write) -> std::io::Result<bool> {
    let ids = labs.ids().unwrap_or_default();
    if ids.is_empty() {
        writeln!(out, "No labs here: a lab is a folder with a lab.toml.")?;
        return Ok(false);
    }
    let width = ids.iter().map(String::len).max().unwrap_or(0);
    let mut ok = true;
    for id in ids {
        match labs.load(&id) {
            Ok(lab) => {
                let default = if id == DEFAULT_LAB { " (default)" } else { "" };
                writeln!(out, "{id:<width$}  {}{default}: {}", lab.title, lab.line)?;
            }
            Err(error) => {
                ok = false;
                writeln!(out, "{id:<width$}  cannot be used: {error}")?;
            }
        }
    }
    Ok(ok)
}
