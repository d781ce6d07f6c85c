//! Job control, as other full-screen programs do it: Ctrl-Z (a key in raw mode) and a
//! SIGTSTP from outside give the terminal back and stop the process; `fg` (SIGCONT)
//! continues it, and the runtime takes the terminal back and redraws. Leases go on being
//! tracked: the clock is read again when the process continues.

/// A job-control signal, for the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSignal {
    /// SIGTSTP from outside (`kill -TSTP`): suspend, as Ctrl-Z does.
    Stop,
    /// SIGCONT: the process was stopped and goes on. After a stop vaultlab did not see
    /// coming (SIGSTOP), the shell has set the terminal back to line mode meanwhile.
    Continued,
}

#[cfg(unix)]
pub struct JobSignals {
    stop: tokio::signal::unix::Signal,
    cont: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl JobSignals {
    /// Listening from now: SIGTSTP no longer stops the process before the terminal is
    /// given back.
    pub fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            stop: signal(SignalKind::from_raw(libc::SIGTSTP))?,
            cont: signal(SignalKind::from_raw(libc::SIGCONT))?,
        })
    }

    pub async fn recv(&mut self) -> JobSignal {
        tokio::select! {
            _ = self.stop.recv() => JobSignal::Stop,
            _ = self.cont.recv() => JobSignal::Continued,
        }
    }
}

/// Stops the process, and its process group, as the terminal's own Ctrl-Z would; returns
/// once it continues (`fg`). The terminal must have been given back first.
///
/// SIGTSTP goes to the whole process group, as the shell's job is the group: a `cargo run`
/// or a wrapper script stops with vaultlab, so the shell sees its job stop. Its handler
/// (tokio's, which turns it into a message) is set aside meanwhile, so the default action,
/// stopping, takes place; it is put back once the process continues. A process group the
/// shell no longer knows (orphaned) is not stopped by SIGTSTP: then this returns at once.
#[cfg(unix)]
pub fn stop_process() -> std::io::Result<()> {
    // SAFETY: `sigaction` is given valid pointers to initialised structs that outlive the
    // calls; SIG_DFL is a valid disposition for SIGTSTP; `kill(0, …)` signals this process's
    // own group. Nothing else in vaultlab changes SIGTSTP's disposition meanwhile: the
    // event loop is here, in this call.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut default.sa_mask);
        let mut kept: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGTSTP, &default, &mut kept) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let stopped = if libc::kill(0, libc::SIGTSTP) != 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(())
        };
        // Continued: tokio's handler again.
        libc::sigaction(libc::SIGTSTP, &kept, std::ptr::null_mut());
        stopped
    }
}

#[cfg(not(unix))]
pub struct JobSignals;

#[cfg(not(unix))]
impl JobSignals {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    pub async fn recv(&mut self) -> JobSignal {
        std::future::pending().await
    }
}

/// There is no job control to give the terminal back to.
#[cfg(not(unix))]
pub fn stop_process() -> std::io::Result<()> {
    Ok(())
}
