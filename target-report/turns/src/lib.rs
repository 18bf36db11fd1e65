//! Turn-taking between bench processes that `target-report ab` runs at the same time, so that
//! only one of them measures at a time and the two sides of a round take their samples in
//! alternation: old, new, old, new, … a tenth of a second apart instead of whole runs apart.
//!
//! On a shared machine the noise comes in episodes of seconds: a run of the very same code takes
//! 49 ms an iteration in every sample, and 64 ms in every sample of a run a few seconds later.
//! No statistic of one run undoes that, but two runs whose samples alternate live through the
//! same episodes, and their ratio does not see them.
//!
//! # Protocol
//! A [`Coordinator`] listens on a Unix socket, whose path the bench processes get in [`ENV`].
//! A process ([`Client`]) connects once, writes `pid <its pid>\n`, then writes one byte `T`
//! each time it is about to measure, and blocks until the coordinator answers `G`. From then on
//! it *holds the turn*: everything it does until it asks again (its sample, its bookkeeping,
//! Criterion's analysis at the end of a group) happens while the others wait, blocked on a
//! read and using no CPU. Asking again gives the turn up; so does closing the connection (the
//! process exited). Turns go first come, first served, so two processes alternate sample by
//! sample, and one left alone gets every turn at once.
//!
//! What runs before a process's first request (its start-up) is outside the protocol. So that
//! it does not overlap the other's first samples, a coordinator started with a quorum
//! ([`Coordinator::with_quorum`]) grants the first turn only once that many processes wait
//! for one (or one of them left); it waits for a quorum again whenever nobody is connected.

#![warn(missing_docs)]

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
/// The environment variable that gives a bench process the coordinator's socket.
pub const ENV: &str = "CB_TURNS";

/// The byte a client writes to ask for a turn (and give up the one it holds).
const ASK: u8 = b'T';

/// The byte the coordinator writes to grant a turn.
const GRANT: u8 = b'G';

/// A bench process's side of the protocol: its connection to the coordinator.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
}

impl Client {
    /// Connects to the coordinator at `path` and says which process this is.
    pub fn connect(path: &Path) -> io::Result<Client> {
        let mut stream = UnixStream::connect(path)?;
        stream.write_all(format!("pid {}\n", std::process::id()).as_bytes())?;
        Ok(Client { stream })
    }

    /// Gives up the turn this process holds (if any) and blocks until it has the next one.
    pub fn take_turn(&mut self) -> io::Result<()> {
        self.stream.write_all(&[ASK])?;
        let mut answer = [0u8];
        match self.stream.read_exact(&mut answer) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the turn coordinator closed the connection",
            )),
            Err(e) => Err(e),
            Ok(()) if answer[0] == GRANT => Ok(()),
            Ok(()) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the turn coordinator answered {:?}", answer[0] as char),
            )),
        }
    }
}

/// What the coordinator's threads tell its scheduler.
enum Event {
    /// A process connected; the stream is the scheduler's to answer on.
    Joined(u64, UnixStream),
    /// A connection said which process it is.
    Hello(u64, u32),
    /// A connection asked for a turn.
    Asks(u64),
    /// A connection closed (or broke the protocol).
    Left(u64),
    /// The coordinator is dropped.
    Stop,
}

/// Grants turns, one process at a time, first come first served, until it is dropped (which
/// closes every connection and removes the socket). Its threads block until something happens:
/// nothing of it runs while the processes measure.
pub struct Coordinator {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    events: Sender<Event>,
    granted: Arc<Mutex<HashMap<u32, usize>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Coordinator {
    /// Listens on a fresh socket in the temporary directory (a short path: a Unix socket's
    /// path is limited to about 100 bytes).
    pub fn start() -> io::Result<Coordinator> {
        Coordinator::with_quorum(1)
    }

    /// [`Coordinator::start`], granting the first turn only once `quorum` processes wait for
    /// one, or one that connected has left; again each time nobody is connected.
    pub fn with_quorum(quorum: usize) -> io::Result<Coordinator> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "cb-turns-{}-{}.sock",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        // Named by this process's id: anything there was left by a dead process of that id.
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let granted = Arc::new(Mutex::new(HashMap::new()));
        let (events, inbox) = mpsc::channel();
        let accepting = {
            let (stop, events) = (Arc::clone(&stop), events.clone());
            std::thread::spawn(move || accept(&listener, &events, &stop))
        };
        let scheduling = {
            let granted = Arc::clone(&granted);
            std::thread::spawn(move || schedule(&inbox, quorum, &granted))
        };
        Ok(Coordinator {
            path,
            stop,
            events,
            granted,
            threads: vec![accepting, scheduling],
        })
    }

    /// The socket's path, for [`ENV`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many turns the process `pid` was granted so far (0 if it never asked).
    pub fn turns_of(&self, pid: u32) -> usize {
        let granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
        granted.get(&pid).copied().unwrap_or(0)
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the stop flag.
        let _ = UnixStream::connect(&self.path);
        let _ = self.events.send(Event::Stop);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Accepts connections until `stop`, each with a thread that reads its requests.
fn accept(listener: &UnixListener, events: &Sender<Event>, stop: &AtomicBool) {
    let mut next_id = 0u64;
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of descriptors, say: try again shortly rather than spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        next_id += 1;
        let id = next_id;
        let Ok(reader) = stream.try_clone() else {
            continue;
        };
        if events.send(Event::Joined(id, stream)).is_err() {
            return;
        }
        let events = events.clone();
        std::thread::spawn(move || read_requests(id, reader, &events));
    }
}

/// Reads one connection's hello and requests until it closes or breaks the protocol.
fn read_requests(id: u64, stream: UnixStream, events: &Sender<Event>) {
    let mut reader = BufReader::new(stream);
    let mut hello = String::new();
    let pid = match reader.read_line(&mut hello) {
        Ok(_) => hello
            .trim()
            .strip_prefix("pid ")
            .and_then(|p| p.parse().ok()),
        Err(_) => None,
    };
    let Some(pid) = pid else {
        let _ = events.send(Event::Left(id));
        return;
    };
    let _ = events.send(Event::Hello(id, pid));
    let mut byte = [0u8];
    loop {
        // read_exact retries an interrupted read; end of file is the process leaving.
        let event = match reader.read_exact(&mut byte) {
            Ok(()) if byte[0] == ASK => Event::Asks(id),
            _ => Event::Left(id),
        };
        let left = matches!(event, Event::Left(_));
        if events.send(event).is_err() || left {
            return;
        }
    }
}

/// Who holds the turn, who waits for it, and how to reach them.
#[derive(Default)]
struct Turns {
    streams: HashMap<u64, UnixStream>,
    pids: HashMap<u64, u32>,
    holder: Option<u64>,
    waiting: VecDeque<u64>,
    /// Waiting for a quorum before the first turn.
    gathering: bool,
}

impl Turns {
    /// Grants the turn to the longest waiting connection while nobody holds it (once the
    /// quorum is there).
    fn grant(&mut self, granted: &Mutex<HashMap<u32, usize>>) {
        if self.gathering {
            return;
        }
        while self.holder.is_none() {
            let Some(next) = self.waiting.pop_front() else {
                return;
            };
            // Counted before the grant is sent: a client that has its turn sees it counted.
            let pid = self.pids.get(&next).copied();
            let count = |change: isize| {
                if let Some(pid) = pid {
                    let mut granted = granted.lock().unwrap_or_else(|e| e.into_inner());
                    let turns = granted.entry(pid).or_default();
                    *turns = turns.saturating_add_signed(change);
                }
            };
            count(1);
            let sent = self
                .streams
                .get_mut(&next)
                .is_some_and(|s| s.write_all(&[GRANT]).is_ok());
            if !sent {
                count(-1);
                self.leave(next);
                continue;
            }
            self.holder = Some(next);
        }
    }

    /// Forgets a connection, giving up its turn if it held it.
    fn leave(&mut self, id: u64) {
        if let Some(stream) = self.streams.remove(&id) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        self.pids.remove(&id);
        self.waiting.retain(|&w| w != id);
        if self.holder == Some(id) {
            self.holder = None;
        }
    }
}

/// The scheduler: applies events in the order they came until [`Event::Stop`], then closes
/// every connection, those still queued included (which ends their reading threads).
fn schedule(inbox: &Receiver<Event>, quorum: usize, granted: &Mutex<HashMap<u32, usize>>) {
    let mut turns = Turns {
        gathering: quorum > 1,
        ..Turns::default()
    };
    while let Ok(event) = inbox.recv() {
        match event {
            Event::Joined(id, stream) => {
                turns.streams.insert(id, stream);
            }
            Event::Hello(id, pid) => {
                turns.pids.insert(id, pid);
            }
            Event::Asks(id) => {
                if turns.holder == Some(id) {
                    turns.holder = None;
                }
                turns.waiting.push_back(id);
            }
            Event::Left(id) => {
                turns.leave(id);
                // A process that left will not join the quorum; once all are gone, the next
                // ones gather again.
                turns.gathering = quorum > 1 && turns.streams.is_empty();
            }
            Event::Stop => break,
        }
        if turns.gathering && turns.waiting.len() >= quorum {
            turns.gathering = false;
        }
        turns.grant(granted);
    }
    while let Ok(event) = inbox.try_recv() {
        if let Event::Joined(_, stream) = event {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
    let ids: Vec<u64> = turns.streams.keys().copied().collect();
    for id in ids {
        turns.leave(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{mpsc, Barrier};
    use std::time::Instant;

    /// Runs `test` in a thread and fails when it has not finished within a minute: a broken
    /// protocol shows up as a wait that never ends, which should fail, not hang the suite.
    fn within_a_minute<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || done.send(test()));
        finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the protocol hung: no answer within a minute")
    }

    /// Each client holds its turn for a millisecond, `turns` times, and records when it held
    /// it: `(client, from, to)`, in the order they held it.
    fn hold_turns(path: &Path, clients: usize, turns: usize) -> Vec<(usize, Instant, Instant)> {
        let barrier = Barrier::new(clients);
        let held = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for client in 0..clients {
                let (barrier, held) = (&barrier, &held);
                s.spawn(move || {
                    let mut c = Client::connect(path).unwrap();
                    barrier.wait();
                    for _ in 0..turns {
                        c.take_turn().unwrap();
                        let from = Instant::now();
                        std::thread::sleep(Duration::from_millis(1));
                        held.lock().unwrap().push((client, from, Instant::now()));
                    }
                });
            }
        });
        let mut held = held.into_inner().unwrap();
        held.sort_by_key(|h| h.1);
        held
    }

    #[test]
    fn two_clients_alternate_and_never_hold_the_turn_at_once() {
        // A quorum of two: both wait before the first turn, so they alternate from the start,
        // however the threads are scheduled.
        let coordinator = Coordinator::with_quorum(2).unwrap();
        let path = coordinator.path().to_owned();
        let held = within_a_minute(move || hold_turns(&path, 2, 50));
        assert_eq!(held.len(), 100);
        for pair in held.windows(2) {
            assert!(pair[0].2 <= pair[1].1, "turns overlapped: {pair:?}");
            assert_ne!(pair[0].0, pair[1].0, "one client had two turns in a row");
        }
        assert_eq!(coordinator.turns_of(std::process::id()), 100);
    }

    #[test]
    fn a_client_that_leaves_while_holding_the_turn_passes_it_on() {
        let coordinator = Coordinator::start().unwrap();
        let path = coordinator.path().to_owned();
        let (left, granted) = within_a_minute(move || {
            let mut first = Client::connect(&path).unwrap();
            first.take_turn().unwrap();
            let waiter = std::thread::spawn(move || {
                let mut second = Client::connect(&path).unwrap();
                second.take_turn().unwrap();
                Instant::now()
            });
            std::thread::sleep(Duration::from_millis(100));
            let left = Instant::now();
            drop(first);
            (left, waiter.join().unwrap())
        });
        assert!(
            granted >= left,
            "the second got the turn while the first held it"
        );
    }

    #[test]
    fn with_a_quorum_of_two_the_first_turn_waits_for_the_second_process() {
        let coordinator = Coordinator::with_quorum(2).unwrap();
        let path = coordinator.path().to_owned();
        // Each takes one turn, records when it got it and leaves (giving the turn up).
        let one_turn = |path: PathBuf, granted: mpsc::Sender<Instant>| {
            std::thread::spawn(move || {
                let mut client = Client::connect(&path).unwrap();
                client.take_turn().unwrap();
                granted.send(Instant::now()).unwrap();
            })
        };
        let (granted, grants) = mpsc::channel();
        let first = one_turn(path.clone(), granted.clone());
        // Alone, it gets no turn (however long it waits: here as long as the test looks).
        assert!(grants.recv_timeout(Duration::from_millis(300)).is_err());
        let asked = Instant::now();
        let second = one_turn(path, granted);
        let both = within_a_minute(move || [grants.recv().unwrap(), grants.recv().unwrap()]);
        assert!(both.iter().all(|&t| t >= asked), "a turn before the quorum");
        first.join().unwrap();
        second.join().unwrap();
    }

    #[test]
    fn with_a_quorum_a_process_that_leaves_before_asking_lets_the_other_go() {
        let coordinator = Coordinator::with_quorum(2).unwrap();
        let path = coordinator.path().to_owned();
        within_a_minute(move || {
            // Connections are accepted in order: the stayer is known before the leaver leaves.
            let mut stayer = Client::connect(&path).unwrap();
            let leaver = Client::connect(&path).unwrap();
            drop(leaver);
            stayer.take_turn().unwrap();
            stayer.take_turn().unwrap();
        });
    }

    #[test]
    fn a_client_alone_gets_every_turn_at_once() {
        let coordinator = Coordinator::start().unwrap();
        let path = coordinator.path().to_owned();
        within_a_minute(move || {
            let mut alone = Client::connect(&path).unwrap();
            for _ in 0..100 {
                alone.take_turn().unwrap();
            }
        });
        assert_eq!(coordinator.turns_of(std::process::id()), 100);
    }

    #[test]
    fn a_client_whose_coordinator_is_gone_gets_an_error() {
        let coordinator = Coordinator::start().unwrap();
        let path = coordinator.path().to_owned();
        let mut client = Client::connect(&path).unwrap();
        client.take_turn().unwrap();
        drop(coordinator);
        assert!(!path.exists(), "the socket is removed");
        assert!(client.take_turn().is_err());
        assert!(Client::connect(&path).is_err());
    }
}
