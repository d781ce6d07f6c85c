//! `vaultlab sandbox`: the embedded sandbox served alone, until Ctrl-C or SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::args::SandboxArgs;
use super::{Outcome, init_stderr_logging, runtime};
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
    let guidance = format!(
        "# vaultlab sandbox is serving Vault and AWS at {addr}.\n\
         # Paste the lines above into another terminal, then run the lab with the real CLIs:\n\
         #   vault secrets enable -path=aws aws        # bao works too\n\
         #   vault write aws/config/root access_key=$AWS_ACCESS_KEY_ID secret_key=$AWS_SECRET_ACCESS_KEY region=$AWS_REGION\n\
         #   vault write aws/roles/my-role credential_type=iam_user policy_document=- <<'POLICY'\n\
         #   {{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[\"ec2:*\"],\"Resource\":[\"*\"]}}]}}\n\
         #   POLICY\n\
         #   vault read aws/creds/my-role\n\
         #   AWS_ACCESS_KEY_ID=<new key> AWS_SECRET_ACCESS_KEY=<new secret> aws ec2 describe-instances\n\
         #   vault lease revoke <lease_id>\n\
         # New access keys take {delay} to become valid, as in AWS.\n\
         # To show a failure, arm a fault: the next request(s) that match fail as the real service would:\n\
         #   curl -H \"X-Vault-Token: $VAULT_TOKEN\" -d '{{\"aws_action\":\"DescribeInstances\",\"code\":\"RequestLimitExceeded\",\"count\":3}}' $VAULT_ADDR/vaultlab/faults\n\
         #   curl -H \"X-Vault-Token: $VAULT_TOKEN\" -d '{{\"vault_path\":\"aws/creds/\",\"status\":429}}' $VAULT_ADDR/vaultlab/faults\n\
         # {state_note}\n\
         # Stop with Ctrl-C.",
        addr = sandbox.vault_addr(),
        delay = humantime::format_duration(propagation_delay),
        state_note = match state {
            Some(path) => format!("State is kept in {} (it holds secrets).", path.display()),
            None => "Nothing is kept after it stops; --state PATH keeps it.".to_owned(),
        },
    );
    writeln!(out, "{guidance}")?;
    out.flush()?;
    Ok(())
}

/// Ctrl-C or SIGTERM, listened for from the moment this is called (not first awaited).
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
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
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
