//! Why a bench stops, as a value that travels up to its `main`: the one line it prints and the
//! exit status it gives. The library never exits; the mains in `benches/` and `src/bin/` alone
//! print and exit.
//!
//! The status says *when* something failed, not what: one interpreter failure stops a run before
//! it starts, another in its middle. So [`Error`] has two variants, each holding the typed cause
//! (a `ConfigError`, `SetupError`, `RunError`, `SideFileError`, …), and each cause's module says
//! with a `From` impl which one it is when that is always the same:
//! - [`Error::Setup`], exit 2, before anything is measured: a `CB_*` value, the bench's command
//!   line, a setting this bench refuses, or what the run needs (server, clients, runtimes,
//!   process pool, interpreter) could not be started;
//! - [`Error::Run`], exit 1: a run failed or computed a wrong answer — never timed as if it had
//!   worked — or its results could not be written.
//!
//! Criterion runs the measuring closures inside its own frames, through which no `Result` can
//! travel: [`escape`] carries an error out of them to the [`catch`] around the Criterion call.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

/// The typed cause an [`Error`] carries.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a bench stops; `Display` is its one line (without the `concurrency-bench: ` prefix the
/// mains print before it).
#[derive(Debug)]
pub enum Error {
    /// Before anything is measured: exit status 2.
    Setup(Cause),
    /// A run failed, computed a wrong answer, or its results could not be written: exit status 1.
    Run(Cause),
}

impl Error {
    /// `cause` stopped the bench before anything was measured.
    pub fn setup(cause: impl Into<Cause>) -> Error {
        Error::Setup(cause.into())
    }

    /// `cause` stopped a run.
    pub fn run(cause: impl Into<Cause>) -> Error {
        Error::Run(cause.into())
    }

    /// The exit status the README documents: 2 for [`Error::Setup`], 1 for [`Error::Run`].
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Setup(_) => 2,
            Error::Run(_) => 1,
        }
    }

    /// What failed, for a caller that looks for a particular type (`downcast_ref`).
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match self {
            Error::Setup(cause) | Error::Run(cause) => cause.as_ref(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.cause(), f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause())
    }
}

/// The unwinding payload of [`escape`]: nothing else unwinds with it.
struct Escaped(Error);

/// Ends the Criterion call that runs this closure, carrying `error` out to the [`catch`] around
/// that call. It unwinds without the panic hook (`resume_unwind`), so no "panicked at" line is
/// printed: the bench's `main` prints the error's one line. Only for closures that Criterion
/// calls and that have no `Result` to return.
pub fn escape(error: Error) -> ! {
    panic::resume_unwind(Box::new(Escaped(error)))
}

/// Runs `call` (a Criterion call that runs closures which may [`escape`]) and returns the error
/// one escaped with. A real panic goes on unwinding.
///
/// Criterion's frames between the two only drop what they hold; nothing of theirs writes on
/// drop except a `BenchmarkGroup`, which the caller owns and must not drop after an error
/// ([`crate::rounds::measure_group`] forgets it).
pub fn catch<T>(call: impl FnOnce() -> T) -> Result<T, Error> {
    panic::catch_unwind(AssertUnwindSafe(call)).map_err(|payload| match payload.downcast() {
        Ok(escaped) => {
            let Escaped(error) = *escaped;
            error
        }
        Err(other) => panic::resume_unwind(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands in for Criterion: calls the routine a few times, as if measuring.
    fn criterion_like(mut routine: impl FnMut(u64) -> u64) -> u64 {
        (1..=4).map(&mut routine).sum()
    }

    #[test]
    fn an_escaped_error_comes_out_of_the_call_with_its_type_and_status() {
        let mut calls = 0;
        let result = catch(|| {
            criterion_like(|iters| {
                calls += 1;
                if iters == 3 {
                    escape(Error::run("job 2: expected 5, got 6".to_owned()));
                }
                iters
            })
        });
        let error = result.unwrap_err();
        assert_eq!(calls, 3, "nothing runs after the escape");
        assert_eq!(error.exit_code(), 1);
        assert_eq!(error.to_string(), "job 2: expected 5, got 6");
        assert_eq!(catch(|| criterion_like(|iters| iters)).unwrap(), 10);
    }

    #[test]
    fn a_real_panic_is_not_caught() {
        let outer = panic::catch_unwind(|| catch(|| panic!("a bug")));
        let payload = outer.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"a bug"));
    }

    #[test]
    fn setup_is_two_and_run_is_one() {
        assert_eq!(Error::setup("CB_X=1: no".to_owned()).exit_code(), 2);
        let error = Error::run(std::io::Error::other("disk full"));
        assert!(error.cause().downcast_ref::<std::io::Error>().is_some());
    }
}
