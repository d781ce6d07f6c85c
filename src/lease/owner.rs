//! Which run issued a lease, and whether that run is still going. Two vaultlabs against
//! the same Vault share its journal; one must not take the other's live leases for
//! leftovers of an earlier run, offer to revoke them, and pull the keys from under it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A run: its process, and when it opened the journal. A pid is reused once its process
/// is gone; the start time tells a new process under an old pid from the run itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub run_started: DateTime<Utc>,
}

impl Owner {
    /// This process, from `now` on.
    pub fn this_run(now: DateTime<Utc>) -> Owner {
        Owner {
            pid: std::process::id(),
            run_started: now,
        }
    }
}

/// Whether `owner` is another run still going: its pid is a live process of the same
/// program as this one (by its name in /proc), started no later than the run. Not our
/// own pid: an entry under it is from a dead run whose pid we were given. Where /proc
/// cannot tell (another OS), no run counts as alive, and leases are offered as before.
pub fn is_another_live_run(owner: &Owner, me: &Owner) -> bool {
    if owner.pid == me.pid {
        return false;
    }
    let pid = owner.pid.to_string();
    let (Some(theirs), Some(ours)) = (program_name(&pid), program_name("self")) else {
        return false;
    };
    // A second's slack: the boot time /proc gives is in whole seconds.
    theirs == ours
        && !has_ended(&pid)
        && process_started(&pid)
            .is_some_and(|started| started <= owner.run_started + chrono::Duration::seconds(2))
}

fn program_name(pid: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|name| name.trim_end().to_owned())
}

/// A process that has ended but not been reaped yet (a zombie, state Z; or X, dead) still
/// has its /proc entry: after a `kill -9`, its parent may take a second to reap it.
fn has_ended(pid: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The state is the first field after the name's closing parenthesis.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| matches!(state, "Z" | "X" | "x"))
}

/// When a process started: the boot time plus its start in clock ticks since boot.
fn process_started(pid: &str) -> Option<DateTime<Utc>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name in parentheses may hold spaces: count fields after its closing one.
    // starttime is field 22; the state (field 3) is the first after the name.
    let ticks: i64 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(22 - 3)?
        .parse()
        .ok()?;
    let boot: i64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    // /proc counts in USER_HZ, 100 a second on Linux whatever the kernel's own tick.
    DateTime::from_timestamp_millis(boot * 1000 + ticks * 10)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// Not a test: a process of this same program for the one below to find alive.
    #[test]
    #[ignore = "run by another test as a stand-in vaultlab"]
    fn stand_in_run() {
        std::thread::sleep(std::time::Duration::from_secs(10));
    }

    /// A live process of this same program: another vaultlab, as far as /proc can tell.
    pub(crate) fn spawn_stand_in() -> std::process::Child {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "lease::owner::tests::stand_in_run", "--ignored"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    #[test]
    fn only_a_live_process_of_this_program_is_another_run() {
        let me = Owner::this_run(Utc::now());
        let mut same_program = spawn_stand_in();
        let mut other_program = Command::new("sleep").arg("20").spawn().unwrap();
        let mut finished = Command::new("true").spawn().unwrap();
        finished.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = Utc::now();
        let run = |pid| Owner {
            pid,
            run_started: now,
        };

        let alive = is_another_live_run(&run(same_program.id()), &me);
        let started_before_the_pid = is_another_live_run(
            &Owner {
                pid: same_program.id(),
                run_started: now - chrono::Duration::hours(1),
            },
            &me,
        );
        let other = is_another_live_run(&run(other_program.id()), &me);
        let gone = is_another_live_run(&run(finished.id()), &me);
        let ours = is_another_live_run(&run(me.pid), &me);
        for child in [&mut same_program, &mut other_program] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        assert!(alive, "a live process of this program");
        assert!(!started_before_the_pid, "a reused pid");
        assert!(!other, "another program under the pid");
        assert!(!gone, "a finished process");
        assert!(!ours, "our own pid");
    }

    #[test]
    fn a_killed_run_not_yet_reaped_is_not_alive() {
        let me = Owner::this_run(Utc::now());
        let mut killed = spawn_stand_in();
        let run = Owner {
            pid: killed.id(),
            run_started: Utc::now(),
        };
        // Not waited for: a zombie until reaped below, as a kill -9'd vaultlab is until
        // its parent (a shell, tmux) reaps it.
        Command::new("kill")
            .args(["-KILL", &killed.id().to_string()])
            .status()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !has_ended(&killed.id().to_string()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the stand-in never died"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let zombie = std::fs::read_to_string(format!("/proc/{}/stat", killed.id())).is_ok();
        let alive = is_another_live_run(&run, &me);
        killed.wait().unwrap();
        assert!(zombie, "its /proc entry stays until it is reaped");
        assert!(!alive, "a zombie is not a live run");
    }
}
