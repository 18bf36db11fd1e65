//! `target-report` turns the files that `cargo bench` leaves in `target/criterion/` into answers
//! for the concurrency-bench suite ("which strategy is fastest for I/O and for CPU work?"):
//!
//! * `summary` — one page (`index.html`, plus `summary.md` and `summary.json`) with a table per
//!   benchmark group (median and its 95% confidence interval, throughput, speed-up against
//!   `sequential`, efficiency against the ideal ⌈N/C⌉·L for I/O), a Gantt timeline per strategy
//!   drawn from the `cb-timeline.json` run, and a "which to use" section computed from the numbers.
//!   Parameter sweeps (groups whose benchmarks have a value) are also drawn as one chart each —
//!   median against the parameter per strategy, with the ideal for I/O — with findings such as
//!   the best worker count ([`summary::sweeps`], [`svg::sweep`]). Each baseline is read with its own side
//!   files ([`meta::SideFiles`]); a group measured in interleaved rounds gets speed-ups from
//!   rounds paired with `sequential` where both sides are in the group's rounds, and every row
//!   says whether it was ([`summary::pairing`]); a drift of `sequential` is named, and paired
//!   findings stand ([`rounds`]).
//!   A CPU speed-up above what the cores and the jobs in flight allow is named as a measurement
//!   defect, with its likely cause, instead of a finding ([`summary::physics`]).
//! * `compare OLD NEW` — every benchmark in two Criterion baselines, with a verdict
//!   (regressed / improved / unchanged / inconclusive) held against the run-to-run noise, the
//!   changes each benchmark's verdicts could see, and an exit code for CI ([`compare`],
//!   [`noise`], [`verdict`]). Paired A/B rounds produce the same model ([`compare::from_rounds`]).
//! * `record` / `history` — an append-only JSON-lines history of results across commits, and a
//!   trend chart per benchmark with detected step changes.
//! * `ab OLD [NEW]` — interleaved A/B rounds of two commits (ABBA order, each side built once
//!   in its own worktree under `target/ab/`), judged from the spread of the paired per-round
//!   ratios ([`ab`], [`verdict`]).
//! * `backfill A..B` — every commit of a range built (one worktree and one shared target
//!   directory under `target/backfill/`), benchmarked and appended to the history, resumable
//!   after Ctrl-C; commits that do not build are recorded as gaps ([`backfill`]).
//! * `calibrate` — the same build run K times, interleaved, for each benchmark's run-to-run
//!   noise, which `compare` uses as its noise floor ([`calibrate`], [`noise`]).
//! * `layout` — the working tree's benches relinked in M section orders, each benchmark run K
//!   times on each, for its code-placement noise σ_layout (`cb-layout.json`), which `compare`,
//!   `ab`, `history` and `backfill` add where it is above zero ([`layout`],
//!   [`noise::layout`]). `ab --layouts M` rotates each side's rounds over M link orders.
//!
//! Apart from `ab`, `calibrate`, `layout` and `backfill`, whose running of builds and bench
//! executables lives in [`runner`], it is **not** a benchmark runner, not a general Criterion viewer
//! (it knows this suite's `cb-meta.json` / `cb-timeline.json` side files), and not a replacement
//! for Criterion's own pages, which it links to.
//!
//! # Layers
//! The modules stand in layers, lowest first. A module imports (`use crate::…`, or a
//! `crate::…` path) only from its own layer and those below it; no modules import each other
//! around a loop, nor do the files of one folder. The `layers` test reads this list and checks
//! all three.
//!
//! 1. ground: [`error`], [`paths`], [`atomic_write`] — one error type naming the file; relative
//!    links and absolute paths; all-or-nothing file output;
//! 2. statistics: [`stats`], [`steps`] — medians, the bootstrap, SplitMix64, Student's t
//!    ([`stats::dist`]); step changes in a series (PELT);
//! 3. text: [`format`](mod@format) — every time, rate, percentage and interval as text;
//! 4. readers: [`criterion`], [`meta`], [`rounds`], [`cpu_time`], [`machine`], [`history`],
//!    [`noise`] — Criterion's files; the suite's side files; the CPU time of the rounds' and
//!    the sweep points' samples by who spent it; workspace, git commit and CPU; the history
//!    file; the run-to-run noise (calibration, history, the two runs themselves) and the
//!    code-placement noise;
//! 5. rules: [`verdict`] — what decides a change (the [`verdict::Entry`] of one benchmark):
//!    Holm's correction, the verdicts, what they can see;
//! 6. models: [`summary`], [`compare`], [`trend`] — a table per workload with its advice, and
//!    the sweeps' curves and findings; two baselines or paired rounds with their verdicts; a
//!    series per benchmark of the history with its step changes;
//! 7. running: [`runner`] — git worktrees, builds with the same flags, relinks, child
//!    processes that Ctrl-C stops, schedules of short runs, alone or side by side;
//! 8. sessions: [`calibrate`], [`layout`], [`ab`], [`backfill`] — bench executables run for the
//!    noise files, a verdict from paired rounds, and the history of a range of commits;
//! 9. charts: [`svg`] — sweep, Gantt and trend charts;
//! 10. exporters: [`export`] — HTML, Markdown, JSON, a plain-text table, Bencher's metric
//!     format, github-action-benchmark's JSON and Chrome trace-event files, and the files of
//!     the two pages;
//! 11. commands: [`commands`] — each subcommand's handler (`run`), which `main.rs` dispatches
//!     to after parsing the command line.
//!
//! # Inputs
//! Criterion 0.8.2's JSON files are undocumented internals; the workspace pins `=0.8.2` and
//! [`criterion`] mirrors the structs of its `report.rs`, `estimate.rs` and `lib.rs`
//! (`BenchmarkId`, `Estimates`, `SavedSample`). Benchmarks are discovered by walking the
//! Criterion directory for `<baseline>/benchmark.json`, so new groups (sweeps with a parameter
//! value, `<group>/<function>/<value>/`) need no change here.
//!
//! # Statistics
//! * **Ratios of medians** (speed-up, change between baselines, lead of the fastest strategy) get
//!   a 95% percentile-bootstrap confidence interval: both samples of per-iteration times
//!   (`times[i] / iters[i]` from `sample.json`) are resampled independently with replacement,
//!   [`stats::BOOTSTRAP_RESAMPLES`] times, with a SplitMix64 generator seeded from the benchmark's
//!   id, so the same input always gives the same interval. The median uses Criterion's own
//!   definition (linear interpolation between order statistics), so point estimates equal the
//!   `median.point_estimate` values in `estimates.json`.
//! * **compare** (two plain runs) works on d = ln(median(new)/median(old)). One run's samples
//!   say nothing about the next process, so its standard error is se = √2·σ_run, σ_run being
//!   the run-to-run SD of ln(median) per benchmark from, in order: `cb-calibration.json`
//!   (K runs of one build, `target-report calibrate`; K − 1 df), at least 3 clean records of one
//!   commit on one machine in the history file (pooled); else se = λ·w, w being the two runs'
//!   own bootstrap standard errors of ln(median) in quadrature and λ ≥ 1 the robust spread of
//!   d/w over the benchmarks compared (at least 5; Student-t, [`noise::pair`]); else the
//!   documented default of 10% per run (infinite df; measured run-to-run differences on 2-core
//!   shared machines are 10–20%), which `--noise-default` sets instead of λ — see [`noise`].
//!   se is floored by w (min(samples) − 1 df). At threshold T (default 5%), with t = ln(1 + T):
//!   *regressed* means the one-sided t-test of "d ≤ t" rejects at α = 0.05 after Holm's
//!   step-down correction over every benchmark compared — the change is shown to exceed +T,
//!   the threshold held against the interval, not the point estimate; *improved* likewise for
//!   −T; *unchanged* means the 95% interval lies within ±T; anything else is *inconclusive*.
//!   The interval shown with a verdict is the one that decided it: for *regressed* (*improved*)
//!   the one-sided bound at the Holm level its test was rejected at, never inside ±T; else the
//!   95% interval. Each benchmark reports what these rules can see ([`verdict::power`]): the
//!   true change called regressed with at least 80% probability (one-sided at α/m, Holm's
//!   worst case over m benchmarks, integrated over the χ distribution of the estimated se), and
//!   the true changes called unchanged with 80% probability (or the se that would take).
//!   Exit status: 0 nothing regressed and all decided, 1 something regressed, 2 bad input, 3
//!   nothing regressed but something inconclusive.
//! * **paired rounds** (`ab`): K rounds of one short run per side give d_r per round; the
//!   interval is d̄ ± t_{K−1}·s/√K, with the same verdict rules, and each benchmark says how
//!   many rounds would call a true 2T regressed and no change unchanged, each with 80%
//!   probability ([`verdict::power::rounds_needed`]); a simulation test checks the stated
//!   power against the rule.
//! * **code placement** (`layout`): M link orders × K runs give σ²_layout =
//!   max(0, (MS_between − MS_within)/K) per benchmark (Satterthwaite df). Where it is above
//!   zero, `compare` uses se² = 2σ²_run + 2σ²_layout, `ab` with one build per side
//!   se² = s²/K + 2σ²_layout, `ab --layouts` s²/K alone (its rounds rotate over link orders),
//!   and `history` a step scale of at least √(σ²_run + σ²_layout); df by Welch–Satterthwaite
//!   ([`noise::layout`]).
//! * Student t CDF and quantiles are computed in [`stats::dist`] (regularized incomplete beta
//!   by continued fraction), tested against published tables.
//! * **"no better than sequential"** means the 95% interval of the speed-up reaches 1× or below.
//! * **measurement defect**: a CPU speed-up whose 95% interval's lower bound exceeds
//!   min(cores, C) × (1 + [`summary::physics::TOLERANCE`]), C being the jobs in flight (1 for
//!   one-thread strategies): the same machine code cannot run that much faster.
//! * **history** finds step changes with an optimal penalised piecewise-constant fit (PELT) of
//!   the log-medians under an L1 cost scaled by a noise estimate: the measured run-to-run σ
//!   (calibration, else ≥ 3 clean records of one commit on one machine, as for `compare`)
//!   where there is one, else a robust scale from the series itself; see [`steps`] and
//!   [`trend::measured_noise`].

//!
//! # History file
//! `bench-history.jsonl` (default: at the workspace root, outside `target/` so `cargo clean`
//! keeps it) holds one JSON object per line: the commit, its date, a dirty-tree flag, the
//! machine (CPU model, cores) and every benchmark's median with its interval. `record` appends
//! under an exclusive `flock` with a single `write(2)` on an `O_APPEND` descriptor (see
//! [`history::append`]); readers skip and report a corrupt line by number and never rewrite it.
//! Each benchmark also carries a fingerprint of its `sample.json`, so `record` of a run already
//! in the file is skipped ([`history::find_same_run`]); `backfill` records carry their origin
//! (its Criterion arguments and `CB_*` settings) and, for a commit that did not build, a
//! `build_failed` status instead of results. These fields are optional: older lines still read.

#![warn(missing_docs)]

pub mod ab;
pub mod atomic_write;
pub mod backfill;
pub mod calibrate;
pub mod commands;
pub mod compare;
pub mod cpu_time;
pub mod criterion;
pub mod error;
pub mod export;
pub mod format;
pub mod history;
pub mod layout;
pub mod machine;
pub mod meta;
pub mod noise;
pub mod paths;
pub mod rounds;
pub mod runner;
pub mod stats;
pub mod steps;
pub mod summary;
pub mod svg;
pub mod trend;
pub mod verdict;

pub use error::{Error, Result};
