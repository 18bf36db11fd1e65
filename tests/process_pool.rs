//! The process pool: workers start, answer, fail loudly, never hang, and are always reaped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use concurrency_bench::process::{JobOutcome, PoolError, ProcessPool, WireJob, WireResult};
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::cpu::{CpuJob, Kernel};

const NO_ARGS: &[&str] = &[];
use crate::util::WORKER;

fn cpu_jobs(count: u64, n: u64) -> Vec<CpuJob> {
    (0..count)
        .map(|x| CpuJob {
            kernel: Kernel::SumOfSquares,
            n: n + x,
        })
        .collect()
}

fn jobs(count: u64) -> Vec<WireJob> {
    cpu_jobs(count, 1000)
        .into_iter()
        .map(WireJob::Cpu)
        .collect()
}

fn expected(count: u64) -> Vec<WireResult> {
    cpu_jobs(count, 1000)
        .iter()
        .map(|job| WireResult::Value(job.expected()))
        .collect()
}

fn values(outcomes: Vec<JobOutcome>) -> Vec<WireResult> {
    outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap())
        .collect()
}

/// Whether a process with this pid exists (a zombie still does).
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// This process's children that are zombies (state Z in /proc/PID/stat).
fn zombie_children() -> Vec<u32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
            let after = &stat[stat.rfind(')')? + 2..];
            let mut fields = after.split_whitespace();
            let (state, ppid) = (fields.next()?, fields.next()?);
            (state == "Z" && ppid == me).then(|| entry.file_name().to_str()?.parse().ok())?
        })
        .collect()
}

/// None of `workers` (the pids this test's pool had) stays a zombie child. Other tests run
/// in this process too, so only this test's workers count; and one may be a zombie for an
/// instant between its exit and its reaping: only one that stays counts.
fn assert_no_zombies(workers: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let ours = || -> Vec<u32> {
        zombie_children()
            .into_iter()
            .filter(|pid| workers.contains(pid))
            .collect()
    };
    while !ours().is_empty() {
        assert!(Instant::now() < deadline, "zombies: {:?}", ours());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn map_returns_results_in_order_and_drop_reaps_every_worker() {
    let mut pool = ProcessPool::start(Path::new(WORKER), NO_ARGS, 3).unwrap();
    assert_eq!(pool.len(), 3);
    let pids = pool.pids();
    assert_eq!(values(pool.map(&jobs(25), &Probe::OFF)), expected(25));
    // A pool serves many maps.
    assert_eq!(values(pool.map(&jobs(25), &Probe::OFF)), expected(25));
    drop(pool);
    for pid in pids {
        assert!(
            !exists(pid),
            "worker {pid} still exists (zombie or running)"
        );
    }
}

#[test]
fn a_missing_executable_is_named() {
    let error = ProcessPool::start(Path::new("/nonexistent/cb-worker"), NO_ARGS, 2).unwrap_err();
    assert!(matches!(error, PoolError::Spawn { .. }));
    assert!(
        error.to_string().contains("/nonexistent/cb-worker"),
        "{error}"
    );
}

#[test]
fn a_program_that_is_not_a_worker_is_refused() {
    let error = ProcessPool::start(Path::new("/bin/true"), NO_ARGS, 1).unwrap_err();
    assert!(error.to_string().contains("expected a hello"), "{error}");
}

/// `count` ordinary jobs with, at `at`, one that makes whichever worker takes it send itself
/// `signal`: the failure lands on a held job however the feeders are scheduled (an outside
/// signal could reach a worker that never got a job).
fn jobs_with_signal(count: u64, at: usize, signal: i32) -> Vec<WireJob> {
    let mut all = jobs(count);
    all[at] = WireJob::SelfSignal(signal);
    all
}

/// The original pids that no longer exist.
fn gone(pids: &[u32]) -> Vec<u32> {
    pids.iter().copied().filter(|&pid| !exists(pid)).collect()
}

#[test]
fn a_killed_worker_fails_only_its_job_and_is_replaced() {
    let mut pool = ProcessPool::start(Path::new(WORKER), NO_ARGS, 2).unwrap();
    let pids = pool.pids();
    let outcomes = pool.map(&jobs_with_signal(10, 3, libc::SIGKILL), &Probe::OFF);
    let failed: Vec<(usize, String)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, outcome)| outcome.as_ref().err().map(|e| (i, e.to_string())))
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "only the job the dead worker held: {failed:?}"
    );
    assert_eq!(failed[0].0, 3, "{failed:?}");
    assert!(failed[0].1.starts_with("worker process "), "{failed:?}");
    let expected_values = expected(10);
    for (i, outcome) in outcomes.iter().enumerate().filter(|(i, _)| *i != 3) {
        assert_eq!(outcome.as_ref().unwrap(), &expected_values[i], "job {i}");
    }
    assert_eq!(gone(&pids).len(), 1, "exactly the worker that died");
    assert_no_zombies(&pids);
    // The next map starts a replacement and every job succeeds.
    assert_eq!(values(pool.map(&jobs(10), &Probe::OFF)), expected(10));
    assert_eq!(pool.pids().len(), 2);
    assert!(!pool.pids().contains(&gone(&pids)[0]));
    let all: Vec<u32> = pids.iter().copied().chain(pool.pids()).collect();
    drop(pool);
    assert_no_zombies(&all);
}

#[test]
fn a_hung_worker_times_out_and_is_killed() {
    let timeout = Duration::from_millis(400);
    let mut pool = ProcessPool::start(Path::new(WORKER), NO_ARGS, 2)
        .unwrap()
        .with_job_timeout(timeout);
    let pids = pool.pids();
    let start = Instant::now();
    let outcomes = pool.map(&jobs_with_signal(8, 0, libc::SIGSTOP), &Probe::OFF);
    let elapsed = start.elapsed();
    let failed: Vec<(usize, String)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, outcome)| outcome.as_ref().err().map(|e| (i, e.to_string())))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, 0, "{failed:?}");
    assert!(failed[0].1.contains("no answer within"), "{failed:?}");
    // Generous: one timeout plus seven tiny jobs, on a busy machine.
    assert!(elapsed < timeout * 10, "the map took {elapsed:?}");
    assert_eq!(
        gone(&pids).len(),
        1,
        "the hung worker was killed and reaped, the other kept"
    );
    let all: Vec<u32> = pids.iter().copied().chain(pool.pids()).collect();
    drop(pool);
    assert_no_zombies(&all);
}

/// A fake worker: says hello, then answers any job with a frame header claiming 4 GiB.
fn lying_worker(dir: &Path) -> PathBuf {
    let path = dir.join("lying-worker.sh");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(
        file,
        r"#!/bin/sh
printf '\013\000\000\000cb-worker 1'
head -c 13 >/dev/null
printf '\377\377\377\377garbage'
sleep 5"
    )
    .unwrap();
    drop(file);
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    path
}

#[test]
fn a_frame_claiming_too_many_bytes_is_refused_without_allocating_it() {
    let dir = std::env::temp_dir().join(format!("cb-pool-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut pool = ProcessPool::start(&lying_worker(&dir), NO_ARGS, 1).unwrap();
    let liar = pool.pids();
    let start = Instant::now();
    let outcomes = pool.map(&jobs(1), &Probe::OFF);
    let error = outcomes[0].as_ref().unwrap_err().to_string();
    assert!(error.contains("more than the"), "{error}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "waited for the liar"
    );
    drop(pool);
    assert_no_zombies(&liar);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_worker_refuses_garbage_with_one_line() {
    let mut worker = Command::new(WORKER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = worker.stdin.take().unwrap();
    stdin.write_all(&u32::MAX.to_le_bytes()).unwrap();
    drop(stdin);
    let output = worker.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("more than the"), "{stderr}");

    let output = Command::new(WORKER).arg("--bogus").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument"));

    let output = Command::new(WORKER)
        .args(["--http-client", "--blocking-client", "curl"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "cb-worker: --blocking-client \"curl\": expected one of ureq, reqwest_blocking"
    );
}
