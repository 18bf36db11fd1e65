//! The process pool: workers start, answer, fail loudly, and are always reaped.

use std::path::Path;
use std::process::Command;

use concurrency_bench::process::{PoolError, ProcessPool, WireJob, WireResult};
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::cpu::{CpuJob, Kernel};

const WORKER: &str = env!("CARGO_BIN_EXE_cb-worker");

fn cpu_jobs(count: u64) -> Vec<CpuJob> {
    (0..count)
        .map(|n| CpuJob {
            kernel: Kernel::SumOfSquares,
            n: 1000 + n,
        })
        .collect()
}

fn jobs(count: u64) -> Vec<WireJob> {
    cpu_jobs(count).into_iter().map(WireJob::Cpu).collect()
}

/// Whether a process with this pid exists (a zombie still does).
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn map_returns_results_in_order_and_drop_reaps_every_worker() {
    let mut pool = ProcessPool::start(Path::new(WORKER), &[], 3).unwrap();
    assert_eq!(pool.len(), 3);
    let pids = pool.pids();
    let jobs = jobs(25);
    let results = pool.map(&jobs, &Probe::OFF).unwrap();
    let expected: Vec<WireResult> = cpu_jobs(25)
        .iter()
        .map(|job| WireResult::Value(job.expected()))
        .collect();
    assert_eq!(results, expected);
    // A pool serves many maps.
    assert_eq!(pool.map(&jobs, &Probe::OFF).unwrap(), expected);
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
    let error = ProcessPool::start(Path::new("/nonexistent/cb-worker"), &[], 2).unwrap_err();
    assert!(matches!(error, PoolError::Spawn { .. }));
    assert!(
        error.to_string().contains("/nonexistent/cb-worker"),
        "{error}"
    );
}

#[test]
fn a_program_that_is_not_a_worker_is_refused() {
    let error = ProcessPool::start(Path::new("/bin/true"), &[], 1).unwrap_err();
    assert!(error.to_string().contains("expected a hello"), "{error}");
}

#[test]
fn a_killed_worker_fails_the_map_and_nothing_is_left_behind() {
    let mut pool = ProcessPool::start(Path::new(WORKER), &[], 2).unwrap();
    let pids = pool.pids();
    let status = Command::new("kill")
        .args(["-KILL", &pids[0].to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let error = pool.map(&jobs(10), &Probe::OFF).unwrap_err();
    assert!(error.to_string().starts_with("worker process 0"), "{error}");
    drop(pool);
    for pid in pids {
        assert!(!exists(pid), "worker {pid} was not reaped");
    }
}
