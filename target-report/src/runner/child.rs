//! Child processes (cargo, bench executables) that Ctrl-C stops cleanly.
//!
//! SIGINT and SIGTERM only set a flag ([`install_signal_handlers`]); the loop waiting for a
//! child sees it within [`POLL`], stops the child and returns [`Exit::Stopped`], and the caller
//! removes what the child left half-written. Each child runs in its own process group, so
//! a terminal's Ctrl-C reaches only `target-report`, which then ends the whole group (a bench
//! executable's worker processes and server included): SIGTERM, then SIGKILL after
//! [`GRACE`].

use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How often a waiting loop checks the child and the stop flag.
pub const POLL: Duration = Duration::from_millis(100);

/// How long a stopped child gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

static STOP: AtomicBool = AtomicBool::new(false);

/// The flag SIGINT and SIGTERM set once [`install_signal_handlers`] ran.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: anything else is not async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM set [`stop_flag`] instead of killing the process.
pub fn install_signal_handlers() -> Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only stores an atomic; the struct is
        // fully initialised before the call and outlives it.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(Error::msg(format!(
                "cannot install a signal handler: {}",
                std::io::Error::last_os_error()
            )));
        }
    }
    Ok(())
}

/// How a child ended.
#[derive(Debug)]
pub enum Exit {
    /// It exited by itself.
    Finished(ExitStatus),
    /// The stop flag was set; the child and its process group were ended.
    Stopped,
}

/// Runs `cmd` to completion, calling `tick` about once a second, unless `stop` is set first.
pub fn run(cmd: &mut Command, stop: &AtomicBool, mut tick: impl FnMut()) -> Result<Exit> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    if stop.load(Ordering::SeqCst) {
        return Ok(Exit::Stopped);
    }
    let mut child = spawn(cmd)?;
    let mut last_tick = Instant::now();
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::msg(format!("cannot wait for {program}: {e}")))?
        {
            return Ok(Exit::Finished(status));
        }
        if stop.load(Ordering::SeqCst) {
            end_group(&mut child);
            return Ok(Exit::Stopped);
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            tick();
            last_tick = Instant::now();
        }
        std::thread::sleep(POLL);
    }
}

/// Starts `cmd` in a process group of its own (so that [`end_group`] reaches its workers), for
/// a caller that waits on several children at once.
pub fn spawn(cmd: &mut Command) -> Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.process_group(0)
        .spawn()
        .map_err(|e| Error::msg(format!("cannot run {program}: {e}")))
}

/// SIGTERM to the child's process group, SIGKILL after [`GRACE`], then reap the child.
pub fn end_group(child: &mut std::process::Child) {
    let group = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the process group the child leads (process_group(0) above).
    unsafe { libc::kill(-group, libc::SIGTERM) };
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(POLL);
    }
    // The leader may be gone while its workers are not: the group gets SIGKILL regardless.
    // SAFETY: as above.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_child_reports_its_status() {
        let stop = AtomicBool::new(false);
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "exit 3"]);
        match run(&mut cmd, &stop, || {}).unwrap() {
            Exit::Finished(s) => assert_eq!(s.code(), Some(3)),
            Exit::Stopped => panic!("not stopped"),
        }
    }

    #[test]
    fn the_stop_flag_ends_a_running_child_and_its_group() {
        let dir = std::env::temp_dir().join(format!("tr-child-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("grandchild.pid");
        let stop = AtomicBool::new(false);
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("sleep 60 & echo $! > {}; wait", pid_file.display()));
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                while !pid_file.exists() {
                    std::thread::sleep(Duration::from_millis(10));
                }
                stop.store(true, Ordering::SeqCst);
            });
            run(&mut cmd, &stop, || {})
        });
        assert!(matches!(result.unwrap(), Exit::Stopped));
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let stat = std::path::PathBuf::from(format!("/proc/{}/stat", pid.trim()));
        // The grandchild got the group's signal: gone, or a zombie waiting for init to reap it.
        let mut alive = true;
        for _ in 0..100 {
            let state = std::fs::read_to_string(&stat).unwrap_or_default();
            if state.is_empty() || state.contains(") Z") {
                alive = false;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!alive, "the grandchild sleep outlived the stop");
    }
}
