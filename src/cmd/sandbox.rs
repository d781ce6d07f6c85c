//! `vaultlab sandbox`: the embedded sandbox served alone, until Ctrl-C or SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::args::SandboxArgs;
use super::{Outcome, init_stderr_logging, runtime};
use crate::app::plan;
use crate::engines::{aws, spec};
use crate::lab;
use crate::setup::{Connection, Mode, StartInputs};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

pub fn run(args: SandboxArgs) -> Outcome {
    init_stderr_logging("warn,vaultlab=info");
    runtime()?.block_on(async {
        // Listening for the stop signals before anything else: a SIGTERM that arrives
        // while the sandbox starts or prints must still stop it cleanly, state saved.
        let stop = stop_signal()?;
        let sandbox = Sandbox::start(SandboxOptions {
            listen: args.listen,
            propagation_delay: args.propagation_delay,
            state_path: args.state.clone(),
            region: args.region,
            ..SandboxOptions::default()
        })
        .await?;
        print_welcome(&sandbox, &args.state, args.propagation_delay)?;
        stop.await;
        let saving = if args.state.is_some() {
            ", then the state is saved"
        } else {
            ""
        };
        eprintln!(
            "Stopping the sandbox: requests in flight finish{saving} (Ctrl-C again to stop at once)…"
        );
        let again = stop_signal()?;
        tokio::select! {
            stopped = sandbox.shutdown() => stopped?,
            () = again => {
                // Whatever was answered is already in the state file's log.
                eprintln!("Stopped at once.");
                return Ok(ExitCode::from(130));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn print_welcome(
    sandbox: &Sandbox,
    state: &Option<PathBuf>,
    propagation_delay: Duration,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for (name, value) in sandbox.environment() {
        writeln!(out, "export {name}={value}")?;
    }
    writeln!(out)?;
    // Comment lines, so the whole output can be saved and sourced by a shell.
    writeln!(out, "{}", guidance(sandbox, state, propagation_delay))?;
    out.flush()?;
    Ok(())
}

/// What to do with the sandbox, as shell comments: the sandbox's own words around the
/// lab it serves, whose commands come from the lab's folder.
fn guidance(sandbox: &Sandbox, state: &Option<PathBuf>, propagation_delay: Duration) -> String {
    let lab = served_lab(sandbox);
    let mut lines = vec![format!(
        "vaultlab sandbox is serving Vault and AWS at {}.",
        sandbox.vault_addr()
    )];
    if let Some((title, commands, creds_path)) = &lab {
        lines.push(format!(
            "Paste the lines above into another terminal, then run the lab \"{title}\" with the real CLIs (bao works as vault):"
        ));
        lines.extend(
            commands
                .iter()
                .flat_map(|c| c.lines())
                .map(|c| format!("  {c}")),
        );
        lines.push(format!(
            "New access keys take {} to become valid, as in AWS.",
            humantime::format_duration(propagation_delay)
        ));
        lines.push(
            "To show a failure, arm a fault: the next request(s) that match fail as the real service would:"
                .to_owned(),
        );
        lines.push(format!(
            "  curl -H \"X-Vault-Token: $VAULT_TOKEN\" -d '{{\"aws_action\":\"{}\",\"code\":\"RequestLimitExceeded\",\"count\":3}}' $VAULT_ADDR/vaultlab/faults",
            aws::PROBE_ACTION
        ));
        lines.push(format!(
            "  curl -H \"X-Vault-Token: $VAULT_TOKEN\" -d '{{\"vault_path\":\"{creds_path}\",\"status\":429}}' $VAULT_ADDR/vaultlab/faults"
        ));
    }
    lines.push(match state {
        Some(path) => format!("State is kept in {} (it holds secrets).", path.display()),
        None => "Nothing is kept after it stops; --state PATH keeps it.".to_owned(),
    });
    lines.push("Stop with Ctrl-C.".to_owned());
    lines
        .iter()
        .map(|line| format!("# {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lab the sandbox serves (the default one, on the AWS engine): its title, its
/// commands filled in with the sandbox's values, and the path its credentials come from
/// (`aws/creds/`). `None` should that lab not be on the AWS engine.
fn served_lab(sandbox: &Sandbox) -> Option<(String, Vec<String>, String)> {
    let lab = lab::load_embedded(lab::DEFAULT_LAB).ok()?;
    if lab.engine.id != spec::AWS.id {
        return None;
    }
    let connection = Connection::new(Mode::Sandbox, sandbox.vault_addr());
    let inputs = StartInputs {
        prefill: aws::prefill(|_| None, Some(sandbox)),
        ..StartInputs::new(lab, connection, chrono::Utc::now())
    };
    let (app, _) = crate::app::init(inputs);
    let issued = plan::issue_path(&app)?;
    let creds_path = match issued.rsplit_once('/') {
        Some((mount_and_kind, _role)) => format!("{mount_and_kind}/"),
        None => issued,
    };
    Some((app.lab.title.clone(), plan::commands(&app), creds_path))
}

/// Ctrl-C or SIGTERM, listened for from the moment this is called (not first awaited).
#[cfg(unix)]
pub(super) fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
pub(super) fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
