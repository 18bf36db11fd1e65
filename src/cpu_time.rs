//! The CPU time each sample of the rounds consumed, split by who spent it: the suite's own
//! threads (the client), the embedded mock server, and worker processes — each user and system
//! apart, read from Linux's `/proc` just before and just after the sample, outside its timing
//! ([`around`]). `CB_CPU_TIME=off` reads nothing; elsewhere than Linux nothing is read either,
//! and the samples carry no CPU fields.
//!
//! Who is who:
//!
//! - **server**: in this process, the threads named [`mock_server::SERVER_THREAD`] (wiremock's
//!   serving thread takes that name from the start-up thread, see there), summed from their
//!   `/proc/self/task/<tid>/stat`; as a child process (`cb-mock-server`), that process, which
//!   `server.rs` registers ([`register`], [`Role::Server`]). `None` when neither exists;
//! - **workers**: the processes registered as [`Role::Worker`] — the process pool's workers
//!   (`process/pool.rs`) and the python bench's interpreter — from `/proc/<pid>/stat` (their own
//!   time and that of the children they reaped, since they outlive the sample), plus the
//!   children this process reaped during the sample (`/proc/self/stat`'s `cutime`/`cstime`: a
//!   cold pool starts and reaps its workers within the sample). A registered process reaped
//!   during the sample is in both: its reading before the sample is subtracted, so it counts
//!   once, from the sample's start;
//! - **client**: the whole process (`/proc/self/stat`'s `utime`/`stime`, which keeps the time of
//!   threads that have ended, such as `thread_per_job`'s) minus the server's threads.
//!
//! What it cannot see: a server thread that ends during a sample leaves its time in the
//! client's share; a child neither registered nor reaped during the sample is not counted.
//!
//! Precision: the kernel keeps each thread's run time to the nanosecond but shows it in whole
//! clock ticks (`sysconf(_SC_CLK_TCK)`, 100 per second: 10 ms), rounded down, with user and
//! system split in proportion to where the tick interrupts found the thread. A sample of a few
//! ms therefore sees 0 or 1 tick of it; the rounding goes either way alike, so CPU per
//! iteration is estimated over all of a strategy's samples (`target-report`'s `cpu_time`).
//!
//! Cost: twice per sample, the listing of `/proc/self/task`, one `stat` file per thread of the
//! process and per registered child, and `/proc/self/stat`. Measured in a release build on the
//! 2-core machine: 9 µs of CPU per thread, 35 µs for a listing of 100 threads and 12 µs for
//! `/proc/self/stat`: about 0.3 ms per reading with 20 threads, 1 ms with 100 (a debug build
//! takes 26 µs per thread; `tests/cpu_time.rs` prints it). None of it is inside the sample's
//! timing, and the process's own counters are read last before the sample and first after it,
//! so the reading's cost stays out of the client's share too.

use std::sync::{Mutex, OnceLock};

use crate::lock;

/// One sample's CPU time by who spent it, and CPU time in nanoseconds, user and system apart.
pub use cb_schema::{CpuTime, SampleCpu};

/// What a registered child process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The mock server, in a process of its own.
    Server,
    /// A worker of the client: a process-pool worker, an interpreter running a program.
    Worker,
}

/// The child processes whose CPU time counts, with their roles, while registered.
static CHILDREN: Mutex<Vec<(u32, Role)>> = Mutex::new(Vec::new());

/// A child process counted as `role` until this is dropped: keep it until the child is reaped
/// (a field after the `Child` in the struct that waits for it), so that the sample it is
/// reaped in still subtracts its earlier reading.
#[must_use = "the child counts only while its registration lives"]
#[derive(Debug)]
pub struct Registration {
    pid: u32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut children = lock(&CHILDREN);
        if let Some(index) = children.iter().position(|&(pid, _)| pid == self.pid) {
            children.swap_remove(index);
        }
    }
}

/// Counts the child `pid` as `role` until the returned registration is dropped.
pub fn register(pid: u32, role: Role) -> Registration {
    lock(&CHILDREN).push((pid, role));
    Registration { pid }
}

/// The registered child processes now.
pub fn registered() -> Vec<(u32, Role)> {
    lock(&CHILDREN).clone()
}

/// Runs `sample` and returns what it returned with the CPU time it consumed: `None` when `on`
/// is false, off Linux, or when `/proc` could not be read (never an error).
pub fn around<T>(on: bool, sample: impl FnOnce() -> T) -> (T, Option<SampleCpu>) {
    let before = on.then(|| Snapshot::read(Moment::Before)).flatten();
    let result = sample();
    let cpu = before.and_then(|before| {
        let after = Snapshot::read(Moment::After)?;
        Some(between(&before, &after, tick_ns()?))
    });
    (result, cpu)
}

/// Nanoseconds per clock tick of `/proc`'s counters (`1e9 / sysconf(_SC_CLK_TCK)`, asked once);
/// `None` if the system does not say.
pub fn tick_ns() -> Option<u64> {
    static TICK_NS: OnceLock<Option<u64>> = OnceLock::new();
    *TICK_NS.get_or_init(|| {
        // SAFETY: sysconf only reads a system setting.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(per_second)
            .ok()
            .filter(|&hz| hz > 0)
            .map(|hz| 1_000_000_000 / hz)
    })
}

/// User and system CPU time in clock ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ticks {
    /// User time.
    pub user: i64,
    /// System time.
    pub system: i64,
}

impl std::ops::Add for Ticks {
    type Output = Ticks;

    fn add(self, other: Ticks) -> Ticks {
        Ticks {
            user: self.user + other.user,
            system: self.system + other.system,
        }
    }
}

impl std::ops::Sub for Ticks {
    type Output = Ticks;

    fn sub(self, other: Ticks) -> Ticks {
        Ticks {
            user: self.user - other.user,
            system: self.system - other.system,
        }
    }
}

impl std::iter::Sum for Ticks {
    fn sum<I: Iterator<Item = Ticks>>(iter: I) -> Ticks {
        iter.fold(Ticks::default(), std::ops::Add::add)
    }
}

impl Ticks {
    /// In nanoseconds, at `tick_ns` per tick.
    pub fn to_cpu_time(self, tick_ns: u64) -> CpuTime {
        let tick_ns = i64::try_from(tick_ns).unwrap_or(i64::MAX);
        CpuTime {
            user_ns: self.user.saturating_mul(tick_ns),
            system_ns: self.system.saturating_mul(tick_ns),
        }
    }
}

/// The fields of one `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) line used here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The name (`comm`, at most 15 bytes), which may hold spaces and parentheses.
    pub name: String,
    /// `utime` and `stime` (fields 14 and 15): the process's (or thread's) own time.
    pub own: Ticks,
    /// `cutime` and `cstime` (fields 16 and 17): the time of the children it reaped.
    pub reaped: Ticks,
}

/// Parses a stat line, `pid (name) state ppid …`. The name is whatever lies between the first
/// `(` and the *last* `)` (a name can hold both, and spaces); the fields are counted after it.
pub fn parse_stat(line: &str) -> Option<Stat> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let name = line.get(open + 1..close)?;
    // After the name: field 3 (state) first.
    let fields: Vec<&str> = line[close + 1..].split_whitespace().collect();
    let field = |number: usize| -> Option<i64> { fields.get(number - 3)?.parse().ok() };
    Some(Stat {
        name: name.to_owned(),
        own: Ticks {
            user: field(14)?,
            system: field(15)?,
        },
        reaped: Ticks {
            user: field(16)?,
            system: field(17)?,
        },
    })
}

/// One reading of every counter, in clock ticks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// This process's own time (all its threads, ended ones included).
    pub process: Ticks,
    /// The time of the children this process has reaped.
    pub reaped: Ticks,
    /// The server's threads in this process, by thread id.
    pub server_threads: Vec<(u32, Ticks)>,
    /// The registered children alive (readable) now: pid, role, their own time plus their
    /// reaped children's.
    pub children: Vec<(u32, Role, Ticks)>,
}

/// Which side of a sample a reading is on: the process's own counters are read last before
/// it and first after it, so the reading's own cost stays outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// Just before the sample.
    Before,
    /// Just after it.
    After,
}

impl Snapshot {
    /// Reads every counter now; `None` off Linux or when `/proc/self/stat` cannot be read.
    pub fn read(moment: Moment) -> Option<Snapshot> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let own = || parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?);
        let first = match moment {
            Moment::After => Some(own()?),
            Moment::Before => None,
        };
        let server_threads = server_threads();
        let children = registered()
            .into_iter()
            .filter_map(|(pid, role)| {
                let stat = parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
                Some((pid, role, stat.own + stat.reaped))
            })
            .collect();
        let own = match first {
            Some(own) => own,
            None => own()?,
        };
        Some(Snapshot {
            process: own.own,
            reaped: own.reaped,
            server_threads,
            children,
        })
    }
}

/// This process's threads named [`mock_server::SERVER_THREAD`], with their times.
fn server_threads() -> Vec<(u32, Ticks)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|entry| {
            let tid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            // A thread that ended since the listing has no file: it is not counted.
            let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
            let stat = parse_stat(&text)?;
            (stat.name == mock_server::SERVER_THREAD).then_some((tid, stat.own))
        })
        .collect()
}

/// What the keys of `after` gained since `before` (all of it for a key new in `after`).
fn gained<K: PartialEq>(before: &[(K, Ticks)], after: &[(K, Ticks)]) -> Ticks {
    after
        .iter()
        .map(|(key, now)| {
            let then = before
                .iter()
                .find(|(known, _)| known == key)
                .map_or(Ticks::default(), |&(_, then)| then);
            *now - then
        })
        .sum()
}

/// The CPU time spent between two readings, by who spent it (see the module docs), at
/// `tick_ns` nanoseconds per tick.
pub fn between(before: &Snapshot, after: &Snapshot, tick_ns: u64) -> SampleCpu {
    let of_role = |snapshot: &Snapshot, role: Role| -> Vec<(u32, Ticks)> {
        snapshot
            .children
            .iter()
            .filter(|child| child.1 == role)
            .map(|&(pid, _, ticks)| (pid, ticks))
            .collect()
    };
    let server_threads = gained(&before.server_threads, &after.server_threads);
    let server_processes = gained(
        &of_role(before, Role::Server),
        &of_role(after, Role::Server),
    );
    let workers_alive = gained(
        &of_role(before, Role::Worker),
        &of_role(after, Role::Worker),
    );
    // Registered children gone since: reaped (their registration outlives their wait), so
    // their whole time is in `reaped`, of which only what came after `before` is the sample's.
    let gone: Ticks = before
        .children
        .iter()
        .filter(|(pid, _, _)| !after.children.iter().any(|child| child.0 == *pid))
        .map(|&(_, _, ticks)| ticks)
        .sum();
    let has_server = [before, after].iter().any(|snapshot| {
        !snapshot.server_threads.is_empty()
            || snapshot
                .children
                .iter()
                .any(|child| child.1 == Role::Server)
    });
    SampleCpu {
        tick_ns,
        client: (after.process - before.process - server_threads).to_cpu_time(tick_ns),
        server: has_server.then(|| (server_threads + server_processes).to_cpu_time(tick_ns)),
        workers: (workers_alive + (after.reaped - before.reaped) - gone).to_cpu_time(tick_ns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(user: i64, system: i64) -> Ticks {
        Ticks { user, system }
    }

    #[test]
    fn a_stat_line_with_spaces_and_parentheses_in_the_name() {
        // A line as Linux writes it, of a thread named "a) (b c)".
        let line = "4242 (a) (b c)) S 1 4242 4242 0 -1 4194560 120 0 0 0 37 12 5 3 20 0 2 0 \
                    8812 1000000 200 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 \
                    0 0 0 0 0 0 0 0 0 0 0\n";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.name, "a) (b c)");
        assert_eq!(stat.own, ticks(37, 12));
        assert_eq!(stat.reaped, ticks(5, 3));
    }

    #[test]
    fn lines_that_are_not_stat_lines_are_refused() {
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("12 (name"), None);
        assert_eq!(parse_stat("12 name) S 1"), None);
        // Too few fields, or a count that is not a number.
        assert_eq!(parse_stat("12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12"), None);
        assert_eq!(
            parse_stat("12 (x) S 1 2 3 4 5 6 7 8 9 10 u 12 13 14 15"),
            None
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read_and_the_tick_is_known() {
        let stat = parse_stat(&std::fs::read_to_string("/proc/self/stat").unwrap()).unwrap();
        let exe = std::env::current_exe().unwrap();
        let exe = exe.file_name().unwrap().to_string_lossy();
        // The kernel keeps the first 15 bytes of the executable's name.
        assert!(exe.starts_with(&stat.name), "{exe} vs {}", stat.name);
        // USER_HZ is 100 on every Linux this runs on.
        assert_eq!(tick_ns(), Some(10_000_000));
        assert!(Snapshot::read(Moment::Before).is_some());
    }

    fn snapshot(process: Ticks, reaped: Ticks) -> Snapshot {
        Snapshot {
            process,
            reaped,
            ..Snapshot::default()
        }
    }

    #[test]
    fn the_server_threads_leave_the_client_and_a_new_one_counts_whole() {
        let mut before = snapshot(ticks(100, 50), ticks(0, 0));
        before.server_threads = vec![(7, ticks(10, 10))];
        let mut after = snapshot(ticks(130, 60), ticks(0, 0));
        after.server_threads = vec![(7, ticks(15, 12)), (9, ticks(1, 0))];
        let cpu = between(&before, &after, 10);
        assert_eq!(
            cpu.server,
            Some(CpuTime {
                user_ns: 60,
                system_ns: 20
            })
        );
        assert_eq!(
            cpu.client,
            CpuTime {
                user_ns: 240,
                system_ns: 80
            }
        );
        assert_eq!(cpu.workers, CpuTime::default());
        assert_eq!(between(&before, &before, 10).client, CpuTime::default());
        let no_server = snapshot(ticks(1, 1), ticks(0, 0));
        assert_eq!(between(&no_server, &no_server, 10).server, None);
    }

    #[test]
    fn a_registered_worker_reaped_during_the_sample_counts_once() {
        let mut before = snapshot(ticks(0, 0), ticks(100, 100));
        before.children = vec![
            (20, Role::Worker, ticks(40, 4)),
            (21, Role::Worker, ticks(30, 3)),
            (30, Role::Server, ticks(8, 8)),
        ];
        let mut after = snapshot(ticks(0, 0), ticks(100 + 45 + 2, 100 + 5 + 1));
        // 20 went on to 45 user, 5 system and was reaped (with a child of its own: 2, 1);
        // 21 went on; 22 started and is still alive.
        after.children = vec![
            (21, Role::Worker, ticks(33, 3)),
            (22, Role::Worker, ticks(1, 1)),
            (30, Role::Server, ticks(9, 8)),
        ];
        let cpu = between(&before, &after, 1);
        assert_eq!(
            cpu.workers,
            CpuTime {
                user_ns: (45 + 2 - 40) + 3 + 1,
                system_ns: (5 + 1 - 4) + 1
            }
        );
        assert_eq!(
            cpu.server,
            Some(CpuTime {
                user_ns: 1,
                system_ns: 0
            })
        );
    }

    #[test]
    fn registrations_end_with_their_guard() {
        let pid = u32::MAX - 7;
        let registration = register(pid, Role::Worker);
        assert!(registered().contains(&(pid, Role::Worker)));
        drop(registration);
        assert!(!registered().iter().any(|&(known, _)| known == pid));
    }

    #[test]
    fn off_reads_nothing() {
        let (value, cpu) = around(false, || 42);
        assert_eq!((value, cpu), (42, None));
    }
}
