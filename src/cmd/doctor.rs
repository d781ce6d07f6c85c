//! `vaultlab doctor`: the checks, printed one a line, with the fix for each that fails.

use std::io::Write;
use std::process::ExitCode;

use super::args::LabArgs;
use super::{Outcome, init_stderr_logging, open_session, runtime};
use crate::checks::{Check, Verdict, all_pass};
use crate::doctor::check;
use crate::session::Session;

pub fn run(args: LabArgs) -> Outcome {
    init_stderr_logging("error");
    runtime()?.block_on(async {
        let session = open_session(&args.session_options()).await?;
        // Servers it started are stopped, and their directory removed, on a signal too.
        if let Some(local) = &session.local {
            local.stop_on_signals()?;
        }
        let checks = checks(&session).await;
        let mut out = std::io::stdout().lock();
        let ok = report(&checks, &mut out)?;
        out.flush()?;
        drop(out);
        session.close().await?;
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// The checks, against the same Vault, lab and keys the lab itself uses: the plan the
/// app's overview runs.
async fn checks(session: &Session) -> Vec<Check> {
    let (app, _) = crate::app::init(session.start_inputs(chrono::Utc::now()));
    let plan = crate::app::plan::doctor_plan(&app);
    check(&session.vault, &plan, &*session.engine).await
}

/// Prints the checks; returns whether the lab can run (no failure).
pub fn report(checks: &[Check], out: &mut impl Write) -> std::io::Result<bool> {
    for check in checks {
        let mark = match check.verdict {
            Verdict::Pass => "✓",
            Verdict::Warn => "!",
            Verdict::Fail => "✗",
        };
        writeln!(out, "{mark} {}", check.what)?;
        if let Some(fix) = &check.fix {
            writeln!(out, "    → {fix}")?;
        }
    }
    let ok = all_pass(checks);
    writeln!(
        out,
        "{}",
        if ok {
            "The lab can run here."
        } else {
            "The lab cannot run here yet: fix what is marked ✗."
        }
    )?;
    Ok(ok)
}
