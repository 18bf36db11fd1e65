//! The CPU time the rounds record for each sample lands in the right part — the suite's
//! threads (client), the server, the worker processes — checked against work whose CPU time
//! is known however loaded the machine is: threads and processes that spin until *their own*
//! CPU clock has advanced by a fixed amount. Load stretches the wall time such work takes,
//! never its CPU time, so the checks hold beside busy loops (CI runs them beside two).
//!
//! The tolerance: each recorded value is a difference of two readings in whole clock ticks
//! (10 ms), so it is off from the true time by less than one tick per reading difference
//! (client: the process's minus the server threads', two differences). Over n samples that is
//! less than n (client: 2n) ticks, and what the work itself adds beyond its spinning (starting
//! threads, pipes, a few ms at most) comes on top on the high side only.
//!
//! In a process of its own ([`util::run_alone`]): the client's part is the whole process's
//! time, to which other tests' threads would add.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use concurrency_bench::cpu_time::{self, CpuTime, Moment, Role, Snapshot};
use concurrency_bench::process::ProcessPool;
use concurrency_bench::rounds::{run_rounds, Job, Plan};
use concurrency_bench::server::{server_config, ChildServer, Server};
use mock_server::SERVER_THREAD;

use crate::util::{self, MOCK_SERVER, WORKER};

/// Samples per check: few, so that the ticks' error (n per sum) stays small against the work.
const SAMPLES: usize = 4;

/// What a thread or process spins per iteration, in its own CPU time.
const SPIN: Duration = Duration::from_millis(80);

/// Set in the copies of this test binary that [`Spinner`] starts.
const SPINNER: &str = "CB_TEST_SPINNER";

/// The calling thread's CPU time so far.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid timespec to write.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Computes until the calling thread has run `amount` on a CPU (in user mode: the clock is
/// read between batches of arithmetic).
fn spin(amount: Duration) {
    let start = thread_cpu();
    let mut x = 1u64;
    while thread_cpu() - start < amount {
        for i in 0..20_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
    }
}

/// The CPU of one check's samples, summed.
#[derive(Debug, Default)]
struct Sums {
    samples: u64,
    wall: Duration,
    tick: Duration,
    client: CpuTime,
    server: Option<CpuTime>,
    workers: CpuTime,
}

impl Sums {
    fn cores_busy(&self) -> f64 {
        let total = self.client + self.server.unwrap_or_default() + self.workers;
        total.total_ns() as f64 / self.wall.as_nanos() as f64
    }
}

fn ms(time: CpuTime) -> f64 {
    time.total_ns() as f64 / 1e6
}

/// Runs `iteration` in [`SAMPLES`] rounds of `iters` iterations each, through the rounds, and
/// sums the CPU time they recorded.
fn measure(iters: u64, mut iteration: impl FnMut()) -> Sums {
    let plan = Plan {
        group: "cpu/time".to_owned(),
        samples: SAMPLES,
        sample_target: Duration::from_millis(100),
        warm_up: Duration::ZERO,
        seed: 1,
        min_iters: 1,
        cpu_time: true,
        turns: None,
    };
    let mut job = Job::new("job", |iters| {
        let start = Instant::now();
        (0..iters).for_each(|_| iteration());
        Ok(start.elapsed())
    });
    let file = run_rounds(&plan, &mut [&mut job], &[iters], None).unwrap();
    let mut sums = Sums::default();
    for sample in file.rounds.iter().flat_map(|round| &round.samples) {
        let cpu = sample.cpu.expect("a sample without its CPU time");
        sums.samples += 1;
        sums.wall += Duration::from_nanos(sample.ns as u64);
        sums.tick = Duration::from_nanos(cpu.tick_ns);
        sums.client = sums.client + cpu.client;
        sums.workers = sums.workers + cpu.workers;
        if let Some(server) = cpu.server {
            sums.server = Some(sums.server.unwrap_or_default() + server);
        }
    }
    assert_eq!(sums.samples, SAMPLES as u64);
    eprintln!("{sums:?}: cores busy {:.3}", sums.cores_busy());
    sums
}

/// Asserts that `part` holds `work` (ms): at least `work` less `ticks` ticks, at most 5% and
/// `slack` ms more than `work` plus `ticks` ticks.
fn assert_holds(name: &str, part: CpuTime, work: f64, ticks: f64, slack: f64, sums: &Sums) {
    let tick = sums.tick.as_secs_f64() * 1e3;
    let (low, high) = (work - ticks * tick, work * 1.05 + slack + ticks * tick);
    let got = ms(part);
    assert!(
        (low..=high).contains(&got),
        "{name}: {got} ms of CPU, expected {work} ms of work ({low}..={high}): {sums:?}"
    );
}

#[test]
fn each_samples_cpu_time_lands_in_the_part_that_spent_it() {
    util::run_alone("cpu_time::alone");
}

#[test]
#[ignore = "needs the process to itself: run by each_samples_cpu_time_lands_in_the_part_that_spent_it"]
fn alone() {
    if !util::alone() {
        return;
    }
    sleeping_costs_nothing();
    two_spinning_threads_are_the_clients();
    a_thread_of_the_servers_name_is_the_servers();
    a_registered_worker_process_is_a_worker();
    children_reaped_during_a_sample_are_workers();
    the_embedded_server_is_found_by_its_threads_name();
    reading_costs_little();
}

fn sleeping_costs_nothing() {
    let sums = measure(2, || std::thread::sleep(Duration::from_millis(30)));
    assert!(sums.cores_busy() < 0.1, "{sums:?}");
    assert_eq!((sums.server, sums.workers), (None, CpuTime::default()));
}

fn two_spinning_threads_are_the_clients() {
    let sums = measure(1, || {
        std::thread::scope(|scope| {
            scope.spawn(|| spin(SPIN));
            scope.spawn(|| spin(SPIN));
        });
    });
    let work = 2.0 * SPIN.as_secs_f64() * 1e3 * SAMPLES as f64;
    // Threads that ended within the sample: their time stays in the process's counters.
    assert_holds("client", sums.client, work, SAMPLES as f64, 10.0, &sums);
    assert_eq!((sums.server, sums.workers), (None, CpuTime::default()));
    // Two threads cannot keep more than two cores busy, whatever the rounding adds.
    let rounding = (SAMPLES as f64 * sums.tick.as_secs_f64()) / sums.wall.as_secs_f64();
    assert!(sums.cores_busy() <= 2.0 + rounding, "{sums:?}");
}

fn a_thread_of_the_servers_name_is_the_servers() {
    // A long-lived thread, as the server's is, that spins when asked.
    let (ask, asked) = mpsc::channel::<Duration>();
    let (done, finished) = mpsc::channel::<()>();
    let server = std::thread::Builder::new()
        .name(SERVER_THREAD.to_owned())
        .spawn(move || {
            for amount in asked {
                spin(amount);
                done.send(()).unwrap();
            }
        })
        .unwrap();
    let sums = measure(1, || {
        ask.send(SPIN).unwrap();
        finished.recv().unwrap();
    });
    drop(ask);
    server.join().unwrap();
    let work = SPIN.as_secs_f64() * 1e3 * SAMPLES as f64;
    assert_holds(
        "server",
        sums.server.unwrap(),
        work,
        SAMPLES as f64,
        5.0,
        &sums,
    );
    assert_holds("client", sums.client, 0.0, 2.0 * SAMPLES as f64, 5.0, &sums);
    assert_eq!(sums.workers, CpuTime::default());
}

/// A copy of this test binary that spins as long as it is told, on its stdin, and says when
/// it is done: a worker process whose CPU time is known.
struct Spinner {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Spinner {
    fn start() -> Spinner {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["cpu_time::spinner", "--exact", "--ignored", "--nocapture"])
            .env(SPINNER, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let mut spinner = Spinner {
            child,
            input,
            output,
        };
        spinner.expect("ready");
        spinner
    }

    fn expect(&mut self, word: &str) {
        // The test harness prints its own lines too.
        for line in (&mut self.output).lines() {
            if line.unwrap() == word {
                return;
            }
        }
        panic!("the spinner ended before saying {word:?}");
    }

    fn spin(&mut self, amount: Duration) {
        writeln!(self.input, "{}", amount.as_micros()).unwrap();
        self.expect("spun");
    }

    /// Closes its stdin (it then exits) and reaps it. Its stdout stays open until then: the
    /// harness in it prints its result last.
    fn finish(self) {
        let Spinner {
            mut child,
            input,
            output,
        } = self;
        drop(input);
        assert!(child.wait().unwrap().success());
        drop(output);
    }
}

#[test]
#[ignore = "a worker process of cpu_time::alone"]
fn spinner() {
    if std::env::var_os(SPINNER).is_none() {
        return;
    }
    println!("ready");
    for line in std::io::stdin().lock().lines() {
        spin(Duration::from_micros(line.unwrap().trim().parse().unwrap()));
        println!("spun");
    }
}

fn a_registered_worker_process_is_a_worker() {
    let mut spinner = Spinner::start();
    let registration = cpu_time::register(spinner.child.id(), Role::Worker);
    let sums = measure(1, || spinner.spin(SPIN));
    drop(registration);
    spinner.finish();
    let work = SPIN.as_secs_f64() * 1e3 * SAMPLES as f64;
    assert_holds("workers", sums.workers, work, SAMPLES as f64, 5.0, &sums);
    assert_holds("client", sums.client, 0.0, SAMPLES as f64, 5.0, &sums);
    assert_eq!(sums.server, None);
}

/// The CPU time of this process's reaped children so far, from `getrusage` (microseconds):
/// another way to the same kernel counters than `/proc`.
fn reaped_by_rusage() -> Duration {
    // SAFETY: rusage is plain data, written by the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid rusage to write.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn children_reaped_during_a_sample_are_workers() {
    let mut reaped = Duration::ZERO;
    let sums = measure(1, || {
        let before = reaped_by_rusage();
        let mut spinner = Spinner::start();
        spinner.spin(SPIN);
        spinner.finish();
        reaped += reaped_by_rusage() - before;
    });
    let work = SPIN.as_secs_f64() * 1e3 * SAMPLES as f64;
    // Each child also started up: `getrusage` says how long, to the microsecond.
    let reaped = reaped.as_secs_f64() * 1e3;
    assert!(
        reaped >= work,
        "{reaped} ms reaped for {work} ms of spinning"
    );
    assert_holds("workers", sums.workers, reaped, SAMPLES as f64, 1.0, &sums);
    // Starting a process (fork, exec, pipes) costs its parent a little.
    assert_holds("client", sums.client, 0.0, SAMPLES as f64, 10.0, &sums);
}

/// This process's threads named [`SERVER_THREAD`].
fn server_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|entry| {
            let comm = entry.ok()?.path().join("comm");
            std::fs::read_to_string(comm).ok()
        })
        .filter(|name| name.trim_end() == SERVER_THREAD)
        .count()
}

/// Waits (at most a second) until `count` of this process's threads have the server's name:
/// a thread that has ended is listed for a moment after it was joined.
fn until_server_threads(count: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(1);
    while server_threads() != count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    server_threads()
}

/// Measures 500 downloads of `/dice` from `server` per sample.
fn downloads(server: &Server) -> Sums {
    let url = format!("{}/dice", server.base_url());
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    measure(1, || {
        for _ in 0..500 {
            let body = client.get(&url).send().unwrap().bytes().unwrap();
            assert_eq!(body.len(), 2000);
        }
    })
}

/// Each request costs the server some CPU (about 25 µs in a release build, 125 µs in a debug
/// one): 2,000 of them pass a tick in any build.
fn assert_the_server_worked(sums: &Sums) {
    let server_ms = ms(sums.server.expect("the server's part"));
    assert!(server_ms >= 10.0, "{sums:?}");
    assert_eq!(sums.workers, CpuTime::default());
}

/// The same downloads from the server in this process, found by its thread's name, and from
/// the server in a child process, counted by its pid: the server's part must be about the same
/// (the same code, in debug builds both), which it would not be if the name missed the server's
/// thread or caught the client's.
fn the_embedded_server_is_found_by_its_threads_name() {
    let config = util::config(&[("CB_LATENCY_MS", "0")]);
    assert_eq!(until_server_threads(0), 0);
    let server = Server::start(&config, Path::new(WORKER)).unwrap();
    assert_eq!(server.placement(), "in-process");
    // wiremock's serving thread, named after the start-up thread, which has ended.
    assert_eq!(until_server_threads(1), 1);
    let in_process = downloads(&server);
    assert_the_server_worked(&in_process);
    drop(server);
    assert_eq!(until_server_threads(0), 0);

    let child = ChildServer::start(Path::new(MOCK_SERVER), &server_config(&config)).unwrap();
    let server = Server::Child(child);
    let in_child = downloads(&server);
    assert_the_server_worked(&in_child);
    let ratio = ms(in_process.server.unwrap()) / ms(in_child.server.unwrap());
    assert!(
        (0.5..=2.0).contains(&ratio),
        "the server's part in this process is {ratio} times its part in a child process"
    );
}

fn reading_costs_little() {
    // Threads parked meanwhile, as a bench's runtimes and pools have them.
    let (stop, stopped) = mpsc::channel::<()>();
    let stopped = std::sync::Mutex::new(stopped);
    std::thread::scope(|scope| {
        for _ in 0..100 {
            scope.spawn(|| {
                let _ended = stopped.lock().unwrap().recv();
            });
        }
        let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
        let reads = 200;
        let start = thread_cpu();
        for _ in 0..reads {
            std::hint::black_box(Snapshot::read(Moment::Before).unwrap());
        }
        let each = (thread_cpu() - start) / reads;
        eprintln!(
            "one reading: {each:?} of CPU with {threads} threads ({:?} per thread)",
            each / threads as u32
        );
        // A syscall or three per thread: about 9 µs of CPU in a release build, 26 µs in a
        // debug one (measured on the 2-core machine).
        assert!(
            each < Duration::from_micros(100) * threads as u32,
            "{each:?} per reading"
        );
        drop(stop);
    });
}

#[test]
fn the_process_pools_workers_count_while_they_live() {
    let pool = ProcessPool::start(Path::new(WORKER), &[] as &[&str], 2).unwrap();
    let pids = pool.pids();
    let registered = cpu_time::registered();
    for pid in &pids {
        assert!(
            registered.contains(&(*pid, Role::Worker)),
            "{pid}: {registered:?}"
        );
    }
    drop(pool);
    // Dropped after they were reaped.
    let registered = cpu_time::registered();
    assert!(
        pids.iter()
            .all(|pid| !registered.iter().any(|(known, _)| known == pid)),
        "{pids:?}: {registered:?}"
    );
}
