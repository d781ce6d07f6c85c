//! `vaultlab cleanup`: the leases earlier runs issued against this Vault and did not see
//! end, looked up in Vault, and revoked on request; one whose revocation failed before is
//! tried again. Without the TUI.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;

use crate::lease::Lifecycle;
use crate::lease::countdown::format_vault_duration;
use crate::lease::journal;
use crate::lease::seen::Seen;
use crate::session::{Session, SessionOptions};
use crate::vault::refusal::VaultRefusal;

use super::args::CleanupArgs;
use super::{Outcome, init_stderr_logging, open_session, runtime};

pub fn run(args: CleanupArgs) -> Outcome {
    init_stderr_logging("warn");
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if env("VAULT_ADDR").is_none() && args.vault.address.is_none() {
        // Not the vault CLI's default address: a journal names the Vault it belongs to.
        let mut out = std::io::stdout().lock();
        let open = without_a_vault(journal::data_dir(env).as_deref(), &mut out)?;
        out.flush()?;
        return Ok(if open > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    runtime()?.block_on(async {
        let options = SessionOptions {
            force_live: true,
            vault_flags: args.vault.flags(),
            ..SessionOptions::default()
        };
        let session = open_session(&options).await?;
        if let Some(problem) = &session.journal_problem {
            eprintln!("vaultlab: {problem}");
        }
        let mut out = std::io::stdout().lock();
        let options = CleanupOptions {
            all: args.all,
            dry_run: args.dry_run,
        };
        let alive = cleanup(&session, options, &mut out).await?;
        out.flush()?;
        Ok(if alive > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupOptions {
    /// Revoke every lease still alive (else only list them).
    pub all: bool,
    /// Say what would be done, change nothing.
    pub dry_run: bool,
}

/// Returns how many leases are still alive afterwards.
pub async fn cleanup(
    session: &Session,
    options: CleanupOptions,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let Some(journal) = &session.journal else {
        writeln!(
            out,
            "No lease journal here: the embedded sandbox keeps no leases after it stops."
        )?;
        return Ok(0);
    };
    // Another vaultlab still running looks after its own leases: `--all` must not pull
    // its keys from under it.
    let (open, other_runs) = journal
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .open_leftovers();
    writeln!(
        out,
        "{} lease(s) vaultlab issued at {} are not known to be over.",
        open.len(),
        session.connection.vault_addr
    )?;
    if other_runs > 0 {
        writeln!(
            out,
            "{other_runs} more belong to a vaultlab still running against this Vault: left to it."
        )?;
    }
    let mut alive = 0;
    for entry in open {
        let mark = |state| {
            if !options.dry_run
                && let Err(e) = journal
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .mark(&entry.lease_id, state)
            {
                tracing::error!("{e}");
            }
        };
        // A revocation that failed before was asked for: it is tried again without --all.
        let retry = match &entry.state {
            Lifecycle::RevokeFailed { error, .. } => Some(error.clone()),
            _ => None,
        };
        // Read as the TUI reads it: a lease Vault no longer has is over, one out of time
        // is Vault's to revoke.
        let answer = session.vault.lease_lookup(&entry.lease_id).await;
        let hint = answer.as_ref().err().map(|e| e.hint().to_owned());
        match Seen::of_lookup(answer.map_err(|e| VaultRefusal::from(&e))) {
            Seen::Alive { left, .. } => {
                let left = format_vault_duration(left);
                writeln!(
                    out,
                    "  alive  {}  (role {}, {left} left)",
                    entry.lease_id, entry.role
                )?;
                if let Some(error) = &retry {
                    writeln!(out, "         its revocation failed last time: {error}")?;
                }
                if !options.all && retry.is_none() {
                    alive += 1;
                    continue;
                }
                if options.dry_run {
                    writeln!(out, "         would revoke it")?;
                    alive += 1;
                    continue;
                }
                let refused = match session.vault.lease_revoke(&entry.lease_id, true).await {
                    Ok(_) => None,
                    Err(e) => Some(VaultRefusal::from(&e)),
                };
                let state = Lifecycle::after_revocation(refused.as_ref(), Utc::now());
                match &refused {
                    None => writeln!(out, "         revoked")?,
                    Some(refusal) => {
                        writeln!(
                            out,
                            "         NOT revoked: {}\n         → {}",
                            refusal.message, refusal.hint
                        )?;
                        alive += 1;
                    }
                }
                mark(state);
            }
            Seen::OutOfTime => {
                writeln!(
                    out,
                    "  ending {}  (out of time: Vault is revoking it)",
                    entry.lease_id
                )?;
            }
            Seen::Gone => {
                writeln!(
                    out,
                    "  over   {}  (Vault no longer knows it)",
                    entry.lease_id
                )?;
                mark(Lifecycle::Gone { at: Utc::now() });
            }
            Seen::Unknown(error) => {
                writeln!(
                    out,
                    "  ?      {}  could not be looked up: {error}\n         → {}",
                    entry.lease_id,
                    hint.unwrap_or_default()
                )?;
                alive += 1;
            }
        }
    }
    if alive > 0 && !options.all {
        writeln!(out, "Run `vaultlab cleanup --all` to revoke them.")?;
    }
    Ok(alive)
}

/// No Vault was named: which journals there are, with the Vault each belongs to, so the
/// user can name one. Returns how many leases they list as not known to be over.
pub fn without_a_vault(
    data_dir: Option<&std::path::Path>,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    writeln!(
        out,
        "No Vault was named: set VAULT_ADDR or give --address, and cleanup looks up the leases vaultlab issued there."
    )?;
    let Some(data_dir) = data_dir else {
        writeln!(
            out,
            "No lease journals: neither XDG_DATA_HOME nor HOME is set."
        )?;
        return Ok(0);
    };
    let folder = data_dir.join("leases");
    let shelf = journal::shelf(data_dir);
    if shelf.is_empty() {
        writeln!(
            out,
            "No lease journals in {}: no live run has issued a lease from this account.",
            folder.display()
        )?;
        return Ok(0);
    }
    writeln!(out, "Lease journals in {}:", folder.display())?;
    let mut open = 0;
    for (path, read) in &shelf {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        match read {
            Ok(shelved) => {
                open += shelved.open;
                let vault = match &shelved.namespace {
                    Some(namespace) => format!("{} (namespace {namespace})", shelved.vault_addr),
                    None => shelved.vault_addr.clone(),
                };
                let leases = match shelved.open {
                    0 => "no lease open".to_owned(),
                    n => format!("{n} lease(s) not known to be over"),
                };
                writeln!(out, "  {vault}  {leases}  ({name})")?;
            }
            Err(reason) => writeln!(out, "  {name}: cannot be read: {reason}")?,
        }
    }
    if let Some(Ok(example)) = shelf
        .iter()
        .map(|(_, read)| read)
        .find(|read| matches!(read, Ok(s) if s.open > 0))
    {
        let namespace = example
            .namespace
            .as_ref()
            .map(|ns| format!(" --namespace {ns}"))
            .unwrap_or_default();
        writeln!(
            out,
            "Run e.g. `vaultlab cleanup --address {}{namespace}` to look them up there.",
            example.vault_addr
        )?;
    }
    Ok(open)
}
