//! Where the thread strategies' downloads wait: on their own threads, each blocked in a read of
//! its own socket, as the tutorial's threads are in `requests`. Seen from the outside, in
//! `/proc/self/task/*/syscall`, while the downloads wait out the server's latency.
//!
//! In a process of its own ([`util::run_alone`]), so that no other test's threads are running in
//! it meanwhile.
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use concurrency_bench::matrix::{BlockingSessions, IoMatrix};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::io::BlockingClientKind;

use crate::util::{self, WORKER};

/// Downloads in flight at once: one per thread.
const DOWNLOADS: usize = 4;

/// The syscalls a blocking socket read sleeps in: std's `TcpStream::read` is `recv`, which is
/// `recvfrom` on Linux; `read` and `recvmsg` are the other ways to read a socket.
const SOCKET_READS: [libc::c_long; 3] = [libc::SYS_read, libc::SYS_recvfrom, libc::SYS_recvmsg];

/// The ids of this process's threads.
fn thread_ids() -> HashSet<u32> {
    std::fs::read_dir("/proc/self/task")
        .expect("listing /proc/self/task")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The socket a thread is blocked reading, if it is: `/proc/self/task/<id>/syscall` holds the
/// number of the syscall a sleeping thread is in and its arguments in hex (the first one, here,
/// the file descriptor), or `running`, or `-1 …` outside a syscall.
fn socket_being_read(thread: u32) -> Option<i32> {
    // The thread may have ended since the listing: then it reads nothing.
    let text = std::fs::read_to_string(format!("/proc/self/task/{thread}/syscall")).ok()?;
    let mut fields = text.split_whitespace();
    let number: libc::c_long = fields.next()?.parse().ok()?;
    if !SOCKET_READS.contains(&number) {
        return None;
    }
    let fd = i32::from_str_radix(fields.next()?.trim_start_matches("0x"), 16).ok()?;
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    target
        .to_string_lossy()
        .starts_with("socket:")
        .then_some(fd)
}

/// The threads not in `excluded` that are blocked reading a socket right now, with the socket.
fn reading_threads(excluded: &HashSet<u32>) -> Vec<(u32, i32)> {
    thread_ids()
        .difference(excluded)
        .filter_map(|&thread| Some((thread, socket_being_read(thread)?)))
        .collect()
}

/// Runs `strategy`'s downloads through `sessions` on a background thread and, while they wait,
/// looks every 2 ms for threads (other than `excluded`) blocked in a socket read. Returns the
/// largest number seen at one moment (stopping early once `enough` are) with the sockets they
/// were reading. The downloads must all succeed.
fn most_threads_reading_at_once(
    matrix: &IoMatrix,
    sessions: &BlockingSessions,
    strategy: Strategy,
    excluded: &HashSet<u32>,
    enough: usize,
) -> Vec<(u32, i32)> {
    let workload = matrix.workload();
    let mut most = Vec::new();
    std::thread::scope(|scope| {
        let downloads =
            scope.spawn(|| matrix.run_blocking(strategy, sessions, &workload, &Probe::OFF));
        while !downloads.is_finished() && most.len() < enough {
            let now = reading_threads(excluded);
            if now.len() > most.len() {
                most = now;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let outcomes = downloads
            .join()
            .expect("the downloads panicked")
            .unwrap_or_else(|error| panic!("{error}"));
        workload
            .verify(&outcomes)
            .unwrap_or_else(|message| panic!("{}: {message}", strategy.name()));
    });
    most
}

#[test]
fn with_ureq_every_download_thread_blocks_in_its_own_socket_read() {
    util::run_alone("io_threads::download_threads_alone");
}

#[test]
#[ignore = "needs the process to itself: run by with_ureq_every_download_thread_blocks_in_its_own_socket_read"]
fn download_threads_alone() {
    if !util::alone() {
        return;
    }
    // 200 ms per response: the threads wait long enough to be seen waiting, by polling.
    let config = util::config(&[
        ("CB_LATENCY_MS", "200"),
        ("CB_SITES", &DOWNLOADS.to_string()),
        ("CB_WORKERS", &DOWNLOADS.to_string()),
        ("CB_PROCESSES", "1"),
    ]);
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    assert_eq!(matrix.blocking_client_kind(), BlockingClientKind::Ureq);
    let ureq = matrix.blocking_sessions(BlockingClientKind::Ureq).unwrap();

    for strategy in [Strategy::ThreadPerJob, Strategy::ThreadPool] {
        // The server's, the runtimes' and the harness's threads are older than the downloads.
        let before = thread_ids();
        let reading = most_threads_reading_at_once(&matrix, &ureq, strategy, &before, DOWNLOADS);
        let threads: HashSet<u32> = reading.iter().map(|&(thread, _)| thread).collect();
        let sockets: HashSet<i32> = reading.iter().map(|&(_, fd)| fd).collect();
        assert_eq!(
            (threads.len(), sockets.len()),
            (DOWNLOADS, DOWNLOADS),
            "{}: threads blocked in a socket read at once, and their sockets: {reading:?}",
            strategy.name()
        );
    }

    // reqwest's blocking client: the download threads wait for its runtime thread instead, and
    // that thread waits in epoll for all of them; its sockets are non-blocking. Counted with
    // the runtime thread (built after `before`): at most that one is ever seen in a read.
    let before = thread_ids();
    let reqwest = matrix
        .blocking_sessions(BlockingClientKind::ReqwestBlocking)
        .unwrap();
    let reading =
        most_threads_reading_at_once(&matrix, &reqwest, Strategy::ThreadPerJob, &before, 2);
    assert!(
        reading.len() <= 1,
        "reqwest_blocking: threads blocked in a socket read at once: {reading:?}"
    );
}
