//! Worker processes: the suite's `multiprocessing.Pool()`.
//!
//! [`pool::ProcessPool`] starts `cb-worker` processes (this package's worker binary) and hands
//! them jobs over their stdin/stdout pipes in the small length-prefixed format of [`protocol`].

pub mod pool;
pub mod protocol;

pub use pool::{JobOutcome, PoolError, ProcessPool};
pub use protocol::{WireJob, WireResult};
