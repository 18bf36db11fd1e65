//! Taking turns with the other bench process `target-report ab` runs at the same time
//! (`CB_TURNS`, the protocol of [`cb_turns`]): before each sample of a round and each call of the
//! planning warm-up, this process waits for its turn, and holds it until it asks for the next.
//! The two sides of a round then take their samples in alternation, a sample apart, so that an
//! episode of a noisy machine slows both alike instead of one whole run. Without `CB_TURNS`
//! nothing waits.

use std::path::Path;
use std::sync::Mutex;

use cb_turns::Client;

use crate::error::Error;

/// This process's connection to the coordinator, made on the first turn.
static CLIENT: Mutex<Option<Client>> = Mutex::new(None);

/// Waits for this process's turn from the coordinator listening at `coordinator` (connecting
/// on the first call: a process has one coordinator, `CB_TURNS`, so later calls keep that
/// connection), giving up the turn it held; returns at once when `coordinator` is `None`. A
/// coordinator that cannot be reached or went away stops the run.
pub fn take(coordinator: Option<&str>) -> Result<(), Error> {
    let Some(path) = coordinator else {
        return Ok(());
    };
    let failed = |what: &str, e: std::io::Error| {
        Error::run(format!(
            "{}={path}: {what} the turn coordinator: {e}",
            cb_turns::ENV
        ))
    };
    let mut client = CLIENT.lock().unwrap_or_else(|e| e.into_inner());
    let client = match &mut *client {
        Some(client) => client,
        empty => {
            empty.insert(Client::connect(Path::new(path)).map_err(|e| failed("cannot reach", e))?)
        }
    };
    client.take_turn().map_err(|e| failed("lost", e))
}
