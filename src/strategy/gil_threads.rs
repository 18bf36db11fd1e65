//! [gil_threads] The tutorial's threaded CPU program as CPython runs it: `CB_WORKERS` threads,
//! but only the one holding the global interpreter lock may compute.
//!
//! Like CPython's GIL, a thread holds the lock while it computes and hands it over when another
//! thread has waited for a switch interval (CPython's `sys.getswitchinterval()` is 5 ms). Waiting
//! threads queue in order (a ticket lock), and the holder checks between slices of tens of
//! microseconds, as the interpreter's eval loop checks its "drop request". The result: no faster
//! than sequential, plus the switching cost — why the tutorial's threaded version was slower — in
//! contrast to [`thread_pool`](super::thread_pool), whose threads really run at once.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::strategy::thread_pool;
use crate::timeline::Probe;

/// CPython's default switch interval.
pub const SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// Runs the jobs on `workers` threads that take turns holding one global lock.
pub fn run<J, R>(
    jobs: &[J],
    workers: usize,
    probe: &Probe,
    work: impl Fn(&J, &mut dyn FnMut()) -> R + Sync,
) -> Vec<R>
where
    J: Sync,
    R: Send,
{
    let gil = Gil::new(SWITCH_INTERVAL);
    thread_pool::run(
        jobs,
        workers,
        probe,
        |_| (),
        |(), job| {
            let mut held = gil.acquire();
            let result = work(job, &mut || held.checkpoint());
            drop(held);
            result
        },
    )
}

/// A global lock handed over in arrival order once the holder has had its interval.
#[derive(Debug)]
pub struct Gil {
    queue: Mutex<Tickets>,
    turn_changed: Condvar,
    interval: Duration,
}

#[derive(Debug, Default)]
struct Tickets {
    next_ticket: u64,
    now_serving: u64,
}

/// Proof of holding the [`Gil`]; dropping it releases the lock to the next waiter.
#[derive(Debug)]
pub struct Held<'a> {
    gil: &'a Gil,
    since: Instant,
}

impl Gil {
    /// A free lock whose holder yields after `interval` when others wait.
    pub fn new(interval: Duration) -> Gil {
        Gil {
            queue: Mutex::new(Tickets::default()),
            turn_changed: Condvar::new(),
            interval,
        }
    }

    /// Waits for this thread's turn.
    pub fn acquire(&self) -> Held<'_> {
        Held {
            gil: self,
            since: self.wait_for_turn(),
        }
    }

    /// Takes a ticket and waits until it is served; returns when the turn began.
    fn wait_for_turn(&self) -> Instant {
        let mut tickets = self.tickets();
        let ticket = tickets.next_ticket;
        tickets.next_ticket += 1;
        while tickets.now_serving != ticket {
            tickets = self
                .turn_changed
                .wait(tickets)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        Instant::now()
    }

    fn release(&self) {
        self.tickets().now_serving += 1;
        self.turn_changed.notify_all();
    }

    fn has_waiters(&self) -> bool {
        let tickets = self.tickets();
        tickets.next_ticket > tickets.now_serving + 1
    }

    fn tickets(&self) -> std::sync::MutexGuard<'_, Tickets> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Held<'_> {
    /// Called between slices of work: after a full interval, and only if someone is waiting, go to
    /// the back of the queue (CPython forces the switch the same way).
    pub fn checkpoint(&mut self) {
        if self.since.elapsed() >= self.gil.interval && self.gil.has_waiters() {
            self.gil.release();
            self.since = self.gil.wait_for_turn();
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.gil.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Spins for `duration`, calling `checkpoint` every few microseconds, as the kernels do.
    fn compute_for(duration: Duration, mut checkpoint: impl FnMut()) {
        let start = Instant::now();
        while start.elapsed() < duration {
            std::hint::spin_loop();
            checkpoint();
        }
    }

    #[test]
    fn only_one_thread_holds_the_lock_and_turns_rotate() {
        // Counted in hand-overs, not in time, so that a busy machine cannot change the outcome:
        // each thread works until it has got the lock back 3 times, or until it is the last one
        // left (then nobody waits and it must never be interrupted).
        const REGAINS: usize = 3;
        const THREADS: usize = 3;
        let gil = Gil::new(Duration::from_millis(2));
        let inside = AtomicUsize::new(0);
        let finished = AtomicUsize::new(0);
        let holders = Mutex::new(Vec::new());
        let all_started = std::sync::Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (gil, inside, finished, holders, all_started) =
                    (&gil, &inside, &finished, &holders, &all_started);
                scope.spawn(move || {
                    all_started.wait();
                    let mut held = gil.acquire();
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    holders.lock().unwrap().push(thread);
                    let (mut turn_began, mut regains) = (held.since, 0);
                    // Only a lost hand-over could make this loop last: 60 s is no timing bound.
                    let give_up = Instant::now() + Duration::from_secs(60);
                    while regains < REGAINS && finished.load(Ordering::SeqCst) < THREADS - 1 {
                        assert!(Instant::now() < give_up, "no hand-over in 60 s");
                        std::hint::spin_loop();
                        assert_eq!(inside.fetch_sub(1, Ordering::SeqCst), 1, "two holders");
                        held.checkpoint();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                        if held.since != turn_began {
                            turn_began = held.since;
                            regains += 1;
                            holders.lock().unwrap().push(thread);
                        }
                    }
                    inside.fetch_sub(1, Ordering::SeqCst);
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        let turns = holders.into_inner().unwrap();
        // At least two threads got the lock back 3 times each: 2 × (1 + 3) turns, never the
        // same thread twice in a row.
        assert!(turns.len() >= 2 * (1 + REGAINS), "turns: {turns:?}");
        assert!(turns.windows(2).all(|w| w[0] != w[1]), "turns: {turns:?}");
    }

    #[test]
    fn a_lone_holder_is_never_interrupted() {
        let gil = Gil::new(Duration::from_micros(1));
        let mut held = gil.acquire();
        let before = held.since;
        compute_for(Duration::from_millis(2), || held.checkpoint());
        assert_eq!(held.since, before, "yielded with nobody waiting");
    }
}
