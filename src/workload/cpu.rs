//! The tutorial's CPU kernels: what is computed, not how it is spread.
//!
//! - `sum_of_squares`: the 2018 program's `sum(i * i for i in range(number))`, exact (u128).
//! - `fib`: the 2024 revision's recursive `fib(35)`.
//!
//! Both must do their real work every call. LLVM recognises `sum of i*i over a range` and replaces
//! the loop with the closed form (measured: 20 calls in 180 ns), which would make every strategy
//! look instantaneous. [`sum_of_squares`] therefore hides each `i` behind [`opaque`], an empty
//! inline-asm statement that emits no instruction but keeps the optimiser from knowing the value.
//!
//! Each kernel is one machine-code function, never inlined ([`KERNEL_SYMBOLS`]): every strategy,
//! the process pool's `cb-worker` and the python bench's Rust side call the same bytes, placed on
//! a 64-byte boundary by the workspace's `.cargo/config.toml`. Inlined, each strategy ran its own
//! copy of the loop wherever the linker put it, and the strategies' ranking followed the copies'
//! addresses (up to 16% for the same source, README "Code placement").

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::{Config, FIB_JOBS};

/// Which kernel a CPU job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// The exact sum of `i*i` for `i` in `0..n`.
    SumOfSquares,
    /// Recursive Fibonacci of `n`.
    Fib,
}

impl Kernel {
    /// Both kernels, in the order the benchmarks run them.
    pub const ALL: [Kernel; 2] = [Kernel::SumOfSquares, Kernel::Fib];

    /// The workload's name, as used in Criterion group names (`cpu/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::SumOfSquares => "sum_of_squares",
            Kernel::Fib => "fib",
        }
    }
}

/// One CPU job: a kernel and its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CpuJob {
    /// The kernel to run.
    pub kernel: Kernel,
    /// Its argument (`number` for sum_of_squares, `n` for fib).
    pub n: u64,
}

impl CpuJob {
    /// Runs the kernel: the real, iterating work.
    pub fn run(&self) -> u128 {
        match self.kernel {
            // The same sliced loop as the GIL simulation runs, so that sequential and gil_threads
            // differ only in their threading.
            // The no-op checkpoint goes through black_box so that no call site passes the
            // kernel a constant it could be specialised (cloned) for: one copy, every caller.
            Kernel::SumOfSquares => {
                let checkpoint: &mut dyn FnMut() = &mut || ();
                sum_of_squares_sliced(self.n, std::hint::black_box(checkpoint))
            }
            Kernel::Fib => u128::from(fib(self.n)),
        }
    }

    /// Runs the kernel in slices, calling `checkpoint` between slices of a few tens of
    /// microseconds: how the GIL simulation gets a chance to hand the lock over. The total work and
    /// the result are the same as [`CpuJob::run`].
    pub fn run_with_checkpoints(&self, checkpoint: &mut dyn FnMut()) -> u128 {
        match self.kernel {
            Kernel::SumOfSquares => sum_of_squares_sliced(self.n, checkpoint),
            Kernel::Fib => u128::from(fib_with_checkpoints(self.n, checkpoint)),
        }
    }

    /// The right answer, computed in O(1) or O(n) without the kernel: what every run is checked against.
    pub fn expected(&self) -> u128 {
        match self.kernel {
            Kernel::SumOfSquares => sum_of_squares_closed_form(self.n),
            Kernel::Fib => u128::from(fib_iterative(self.n)),
        }
    }

    /// Elementary steps of work: elements summed, or recursive calls made.
    pub fn elements(&self) -> u64 {
        match self.kernel {
            Kernel::SumOfSquares => self.n,
            Kernel::Fib => fib_calls(self.n),
        }
    }
}

/// A CPU workload: a named list of jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuWorkload {
    /// The kernel all jobs run.
    pub kernel: Kernel,
    /// The jobs, in order.
    pub jobs: Vec<CpuJob>,
}

impl CpuWorkload {
    /// The tutorial's jobs for `kernel` under `config`: `n = CB_CPU_START + x` for x in
    /// `0..CB_CPU_COUNT`, or 20 × fib(`CB_FIB_N`).
    pub fn new(kernel: Kernel, config: &Config) -> CpuWorkload {
        let jobs = match kernel {
            Kernel::SumOfSquares => (0..config.cpu_count as u64)
                .map(|x| CpuJob {
                    kernel,
                    n: config.cpu_start + x,
                })
                .collect(),
            Kernel::Fib => vec![
                CpuJob {
                    kernel,
                    n: u64::from(config.fib_n)
                };
                FIB_JOBS
            ],
        };
        CpuWorkload { kernel, jobs }
    }

    /// Both workloads under `config`.
    pub fn all(config: &Config) -> Vec<CpuWorkload> {
        Kernel::ALL
            .iter()
            .map(|&kernel| CpuWorkload::new(kernel, config))
            .collect()
    }

    /// Total elementary steps of all jobs: Criterion's `Throughput::Elements`.
    pub fn elements(&self) -> u64 {
        self.jobs.iter().map(CpuJob::elements).sum()
    }

    /// Checks a strategy's results against the expected ones, job by job and in order.
    pub fn verify(&self, results: &[u128]) -> Result<(), WrongResult> {
        let kernel = self.kernel;
        if results.len() != self.jobs.len() {
            return Err(WrongResult::Count {
                kernel,
                expected: self.jobs.len(),
                got: results.len(),
            });
        }
        for (index, (job, &got)) in self.jobs.iter().zip(results).enumerate() {
            let want = job.expected();
            if got != want {
                return Err(WrongResult::Value {
                    kernel,
                    index,
                    n: job.n,
                    want,
                    got,
                });
            }
        }
        Ok(())
    }
}

/// A strategy's results that are not the workload's: the first wrong one, or a wrong count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WrongResult {
    /// Not one result per job.
    Count {
        /// The workload's kernel.
        kernel: Kernel,
        /// The jobs.
        expected: usize,
        /// The results.
        got: usize,
    },
    /// The first job whose result is wrong.
    Value {
        /// The workload's kernel.
        kernel: Kernel,
        /// The job's index.
        index: usize,
        /// Its argument.
        n: u64,
        /// The exact result.
        want: u128,
        /// The strategy's.
        got: u128,
    },
}

impl fmt::Display for WrongResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WrongResult::Count {
                kernel,
                expected,
                got,
            } => write!(
                f,
                "{}: expected {expected} results, got {got}",
                kernel.name()
            ),
            WrongResult::Value {
                kernel,
                index,
                n,
                want,
                got,
            } => write!(
                f,
                "{} job {index} (n = {n}): expected {want}, got {got}",
                kernel.name()
            ),
        }
    }
}

impl std::error::Error for WrongResult {}

/// Hides `value` from the optimiser without emitting an instruction or touching memory, unlike
/// `std::hint::black_box`, which stores to the stack and would cost a load/store per element.
#[inline(always)]
fn opaque(mut value: u64) -> u64 {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: the template is empty: it reads and writes only the register holding `value`.
    unsafe {
        std::arch::asm!("/* {0} */", inout(reg) value, options(pure, nomem, nostack, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        value = std::hint::black_box(value);
    }
    value
}

/// The exact sum of `i*i` for `i` in `0..n`, by really iterating over every `i`.
pub fn sum_of_squares(n: u64) -> u128 {
    sum_of_squares_between(0, n)
}

/// The exact sum of `i*i` for `i` in `start..end`, iterating.
pub fn sum_of_squares_between(start: u64, end: u64) -> u128 {
    let mut total: u128 = 0;
    for i in start..end {
        let i = u128::from(opaque(i));
        total += i * i;
    }
    total
}

/// The kernels' functions, by their path in this crate: each has exactly one machine-code copy per
/// executable (`#[inline(never)]`), which `tests/kernel_layout.rs` finds by this name in every
/// binary and checks for alignment and identical bytes. Private functions: their paths are named
/// here for that check, which reads symbol tables.
pub const KERNEL_SYMBOLS: [&str; 2] = [
    "concurrency_bench::workload::cpu::sum_of_squares_sliced",
    "concurrency_bench::workload::cpu::fib_kernel",
];

/// The alignment `.cargo/config.toml` gives every function (`-align-all-functions=6`).
pub const KERNEL_ALIGNMENT: usize = 64;

/// `None` when every kernel starts on a [`KERNEL_ALIGNMENT`] boundary in this executable; otherwise
/// one line saying which does not and why that matters. A `RUSTFLAGS` in the environment replaces
/// the workspace's configured flags, and then the CPU results depend on the link order again.
pub fn placement_warning() -> Option<String> {
    let kernels: [(&str, usize); 2] = [
        (
            KERNEL_SYMBOLS[0],
            sum_of_squares_sliced as fn(u64, &mut dyn FnMut()) -> u128 as usize,
        ),
        (KERNEL_SYMBOLS[1], fib_kernel as fn(u64) -> u64 as usize),
    ];
    let misplaced: Vec<String> = kernels
        .iter()
        .filter(|(_, address)| address % KERNEL_ALIGNMENT != 0)
        .map(|(name, address)| format!("{name} at {address:#x}"))
        .collect();
    (!misplaced.is_empty()).then(|| {
        format!(
            "code placement is not pinned ({} not {KERNEL_ALIGNMENT}-byte aligned): RUSTFLAGS or \
             CARGO_ENCODED_RUSTFLAGS replaced .cargo/config.toml's flags, so CPU results depend \
             on where the linker put the kernels (up to 16%); add the flags to yours",
            misplaced.join(", ")
        )
    })
}

/// [`sum_of_squares`] in slices of 2^16 elements (about 25 µs), calling `checkpoint` after each:
/// the sum-of-squares kernel every strategy runs, in one machine-code copy (see the module doc;
/// private, like [`fib_kernel`], so nothing in it depends on where the binary put other code).
#[inline(never)]
fn sum_of_squares_sliced(n: u64, checkpoint: &mut dyn FnMut()) -> u128 {
    const SLICE: u64 = 1 << 16;
    let mut total = 0;
    let mut start = 0;
    while start < n {
        let end = n.min(start + SLICE);
        total += sum_of_squares_between(start, end);
        checkpoint();
        start = end;
    }
    total
}

/// `(n−1)·n·(2n−1)/6`, the sum of `i*i` for `i` in `0..n`: the check, never the benchmark.
pub fn sum_of_squares_closed_form(n: u64) -> u128 {
    if n == 0 {
        return 0;
    }
    let n = u128::from(n);
    (n - 1) * n * (2 * n - 1) / 6
}

/// Recursive Fibonacci, as in the 2024 revision (fib(0) = 0, fib(1) = 1): the fib kernel every
/// strategy runs.
pub fn fib(n: u64) -> u64 {
    fib_kernel(n)
}

/// [`fib`]'s one machine-code copy (see the module doc). Private, so it is local to this crate
/// and its recursive calls are direct: a public function's self-calls go through the GOT, whose
/// address differs from binary to binary (and costs an indirect call per recursion).
#[inline(never)]
fn fib_kernel(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_kernel(n - 1) + fib_kernel(n - 2)
    }
}

/// Recursive Fibonacci that calls `checkpoint` at every subtree of fib(20) or less (a few tens of
/// microseconds each), making the same calls as [`fib`].
fn fib_with_checkpoints(n: u64, checkpoint: &mut dyn FnMut()) -> u64 {
    const LEAF: u64 = 20;
    if n <= LEAF {
        let value = fib(n);
        checkpoint();
        value
    } else {
        fib_with_checkpoints(n - 1, checkpoint) + fib_with_checkpoints(n - 2, checkpoint)
    }
}

/// Fibonacci by iteration: the check for [`fib`].
pub fn fib_iterative(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

/// How many calls recursive `fib(n)` makes: `2·fib(n+1) − 1`.
pub fn fib_calls(n: u64) -> u64 {
    2 * fib_iterative(n + 1) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_of_squares_matches_the_closed_form_and_the_tutorial() {
        for n in [0, 1, 2, 3, 10, 1000, 65_537, 200_003] {
            assert_eq!(sum_of_squares(n), sum_of_squares_closed_form(n), "n = {n}");
        }
        // The figures the seed quotes: exact, above u64::MAX.
        assert_eq!(
            sum_of_squares_closed_form(5_000_000),
            41_666_654_166_667_500_000
        );
        assert_eq!(
            sum_of_squares_closed_form(5_000_019),
            41_667_129_168_377_502_109
        );
    }

    #[test]
    fn the_workspace_build_pins_the_kernels_placement() {
        // Every build of the workspace gets .cargo/config.toml's alignment flags (debug too),
        // unless the environment's flags replace them: then the warning is the right answer.
        let replaced = ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"]
            .iter()
            .any(|name| std::env::var_os(name).is_some());
        if replaced {
            eprintln!("RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS is set: placement not checked");
            return;
        }
        assert_eq!(placement_warning(), None);
    }

    #[test]
    fn fib_matches_iteration() {
        for n in 0..25 {
            assert_eq!(fib(n), fib_iterative(n), "n = {n}");
        }
        assert_eq!(fib_iterative(35), 9_227_465);
        assert_eq!(fib_calls(0), 1);
        assert_eq!(fib_calls(2), 3);
    }

    #[test]
    fn checkpointed_runs_do_the_same_work() {
        let jobs = [
            CpuJob {
                kernel: Kernel::SumOfSquares,
                n: 300_001,
            },
            CpuJob {
                kernel: Kernel::Fib,
                n: 24,
            },
        ];
        for job in jobs {
            let mut checkpoints = 0;
            assert_eq!(
                job.run_with_checkpoints(&mut || checkpoints += 1),
                job.expected()
            );
            assert!(checkpoints > 1, "{job:?} never yielded");
        }
    }

    #[test]
    fn workloads_follow_the_config() {
        let config = Config::from_pairs(&[
            ("CB_CPU_START", "100"),
            ("CB_CPU_COUNT", "3"),
            ("CB_FIB_N", "10"),
        ])
        .unwrap();
        let sums = CpuWorkload::new(Kernel::SumOfSquares, &config);
        assert_eq!(
            sums.jobs.iter().map(|j| j.n).collect::<Vec<_>>(),
            [100, 101, 102]
        );
        assert_eq!(sums.elements(), 303);
        let fibs = CpuWorkload::new(Kernel::Fib, &config);
        assert_eq!(fibs.jobs.len(), FIB_JOBS);
        assert!(fibs.jobs.iter().all(|j| j.n == 10));
    }

    #[test]
    fn verify_names_the_wrong_job() {
        let config = Config::from_pairs(&[("CB_CPU_START", "10"), ("CB_CPU_COUNT", "2")]).unwrap();
        let workload = CpuWorkload::new(Kernel::SumOfSquares, &config);
        let right: Vec<u128> = workload.jobs.iter().map(CpuJob::expected).collect();
        assert!(workload.verify(&right).is_ok());
        let error = workload
            .verify(&[right[0], right[1] + 1])
            .unwrap_err()
            .to_string();
        assert!(error.contains("job 1 (n = 11)"), "{error}");
        assert!(workload.verify(&right[..1]).is_err());
    }
}
