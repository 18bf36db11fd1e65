//! Rounds that take turns (`CB_TURNS`) with another process through a real coordinator: a
//! competing client in a thread stands in for the other side's bench process.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cb_turns::{Client, Coordinator};
use concurrency_bench::rounds::{run_rounds, Job};

type Held = Arc<Mutex<Vec<(Instant, Instant)>>>;

#[test]
fn each_sample_waits_for_its_turn_and_the_turns_alternate() {
    let coordinator = Coordinator::start().unwrap();
    let path = coordinator.path().to_owned();
    // The competitor holds each of its turns for 2 ms, until the coordinator is gone.
    let competitor: Held = Arc::default();
    let (first_turn, has_turn) = mpsc::channel();
    let thread = std::thread::spawn({
        let (path, held) = (path.clone(), Arc::clone(&competitor));
        move || {
            let mut client = Client::connect(&path).unwrap();
            while client.take_turn().is_ok() {
                let from = Instant::now();
                let _ = first_turn.send(());
                std::thread::sleep(Duration::from_millis(2));
                held.lock().unwrap().push((from, Instant::now()));
            }
        }
    });
    // The competitor holds the turn before the first sample asks: from then on both wait.
    has_turn.recv().unwrap();

    let samples: Held = Arc::default();
    let mut job = Job::new("a", {
        let samples = Arc::clone(&samples);
        move |iters| {
            let from = Instant::now();
            std::thread::sleep(Duration::from_millis(3) * iters as u32);
            samples.lock().unwrap().push((from, Instant::now()));
            Ok(from.elapsed())
        }
    });
    let mut plan = super::plan("cpu/fib", 10, 1);
    plan.turns = Some(path.to_string_lossy().into_owned());
    let record = run_rounds(&plan, &mut [&mut job], &[1], None).unwrap();
    drop(coordinator);
    thread.join().unwrap();

    assert_eq!(record.rounds.len(), 10);
    let samples = samples.lock().unwrap();
    let competitor = competitor.lock().unwrap();
    let overlaps = |a: &(Instant, Instant), b: &(Instant, Instant)| a.0 < b.1 && b.0 < a.1;
    for sample in samples.iter() {
        assert!(
            !competitor.iter().any(|turn| overlaps(sample, turn)),
            "a sample ran while the other process held the turn"
        );
    }
    for pair in samples.windows(2) {
        assert!(
            competitor
                .iter()
                .any(|turn| pair[0].1 <= turn.0 && turn.1 <= pair[1].0),
            "two samples in a row without the other process's turn between them"
        );
    }
}
