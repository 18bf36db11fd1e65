//! `target-report`: the summary page, baseline comparison and commit history of the
//! concurrency-bench Criterion results. See the library crate (`target_report`) for what it is
//! for and not for, and for the statistical methods.
//!
//! Exit status: 0 success (for `compare` and `ab`: nothing regressed and every benchmark
//! decided), 1 `compare` or `ab` found a regression, 2 bad input or usage (one line on stderr
//! naming the file; nothing written), 3 nothing regressed but some benchmarks inconclusive;
//! `ab` and `calibrate` exit 130 when Ctrl-C interrupted them.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use target_report::compare::{self, DEFAULT_THRESHOLD_PCT};
use target_report::export::{bmf::Bmf, github_action::CustomSmallerIsBetter, plain};
use target_report::export::{trace, Exporter, Html, Json, Markdown, PlainTable};
use target_report::format::format_duration;
use target_report::history::{self, HistoryReport, Record};
use target_report::noise::{self, NoiseFloor};
use target_report::runner::{child, session::Outcome};
use target_report::{
    ab, atomic_write, backfill, calibrate, layout, machine, summary, svg, Error, Result,
};

#[derive(Parser)]
#[command(
    name = "target-report",
    version,
    about = "Summary page, baseline comparison and commit history for concurrency-bench's Criterion results",
    long_about = "Summary page, baseline comparison and commit history for concurrency-bench's Criterion results.\n\nExit status: 0 on success (compare: nothing regressed and every benchmark decided), 1 when compare finds a regression, 2 on bad input (one line on stderr naming the file; nothing is written or overwritten), 3 when compare finds nothing regressed but some benchmarks inconclusive."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write index.html, summary.md and summary.json: a table per group, timelines, a chart per sweep, "which to use".
    #[command(
        long_about = "Write index.html, summary.md and summary.json for the latest run: one table per group (strategy, median with its 95% CI, throughput, speed-up vs sequential with a bootstrap 95% CI, and for I/O the efficiency against the ideal ceil(N/C)*L from cb-meta.json), fastest first, with links to Criterion's pages; a Gantt timeline per strategy from cb-timeline.json, each also written as a Chrome trace-event file for Perfetto in <out>/traces (see `trace`) and linked; and a \"which to use\" section computed from the numbers. Parameter sweeps (groups with a value) get a chart of median against the parameter per strategy (with the ideal for I/O, also written as sweep_<name>.svg for summary.md) and findings such as the best worker count. Missing pieces are listed, not fatal.\n\nFor benchmark-tracking tools, --format bmf prints the Bencher Metric Format (for `bencher run --adapter json`) and --format custom-smaller-is-better prints the JSON array of github-action-benchmark's `tool: customSmallerIsBetter`, to stdout, writing nothing to --out: one entry per measured strategy, named by its Criterion id, with Criterion's median time per iteration in ns and its 95% CI. Strategies set apart for other settings are left out (a warning on stderr)."
    )]
    Summary {
        /// Criterion's output directory.
        #[arg(long, default_value = "target/criterion")]
        criterion_dir: PathBuf,
        /// Where to write the three files (created if needed).
        #[arg(long, default_value = "target/criterion/summary")]
        out: PathBuf,
        /// The baseline to summarise (`new` is the latest run).
        #[arg(long, default_value = "new")]
        baseline: String,
        /// What to produce: the page's files in --out, or one JSON document on stdout for a tracking tool.
        #[arg(long, value_enum, default_value_t = SummaryFormat::Page)]
        format: SummaryFormat,
    },
    /// Compare two Criterion baselines against the run-to-run noise; exit 1 if anything regressed, 3 if inconclusive.
    #[command(
        long_about = "Compare two Criterion baselines (names given to `cargo bench -- --save-baseline NAME`, or `new` for the latest run). For every benchmark in both: both medians, the change with the interval that decided its verdict, the change the rule would call regressed (and those it would call unchanged) with 80% probability, where the noise estimate came from, and a verdict: regressed, improved, unchanged or inconclusive. The two sides' configurations (each baseline's cb-meta.json) are shown side by side; a difference is a warning.\n\nMethod: d = ln(median(new)/median(old)) of the per-iteration times in sample.json. One run's samples say nothing about the next process, so the standard error is se = sqrt(2)·σ_run, where σ_run, the run-to-run SD of ln(median), comes per benchmark from (1) --calibration (default <criterion-dir>/cb-calibration.json, written by `target-report calibrate`; K-1 df), else (2) at least 3 records of one commit (clean tree) on one machine in the history file (pooled; --history, default the workspace's bench-history.jsonl when present), else (3) the two runs themselves: w = both runs' own bootstrap SE of ln(median) in quadrature, z = d/w for every decidable benchmark, λ = max(1, 1.0136·RMS of the z within 3 robust SDs (1.4826·median|z|)), se = λ·w with df 1/(1/(k-1) + 1/(n-1)) for k benchmarks kept and n samples; most benchmarks do not change between two runs, so their spread is the noise of this pair (needs 5 decidable benchmarks), else (4) the conservative default of 10% per run (infinite df). --noise-default PCT replaces (3) and (4) with a fixed σ_run. se is floored by w, with min(samples)-1 df. One noise line says what a `calibrate --runs K` would change here: how many benchmarks would have a +2T change called regressed 80% of the time, and about how long it takes. At threshold T: regressed = the one-sided t-test that the change exceeds +T rejects at alpha 0.05 after Holm's correction over all benchmarks compared (the threshold is held against the interval, not the point estimate); improved likewise for -T; unchanged = the 95% interval lies within +-T; otherwise inconclusive. The interval shown with regressed (improved) is the one-sided bound at the Holm level that decided it (never inside +-T), else the 95% interval. 'Regressed at 80%' is the true change the rule calls regressed with at least 80% probability (one-sided at alpha/m, Holm's worst case over the m benchmarks, at this se and df); 'unchanged at 80%' the true changes within +- which it calls unchanged with 80% probability (or, when not even no change is, the se that would take). Benchmarks only on one side are listed as added/removed.\n\nCode placement: where --layout (default <criterion-dir>/cb-layout.json, written by `target-report layout`) knows a benchmark's σ_layout above 0, each side's binary counts as one draw of a link order: se = sqrt(2·σ_run² + 2·σ_layout²), Welch-Satterthwaite df, and the noise column says `+ layout (M link orders)`.\n\nExit status: 0 nothing regressed and all decided, 1 something regressed, 2 bad input, 3 nothing regressed but something inconclusive."
    )]
    Compare {
        /// The old baseline name.
        old: String,
        /// The new baseline name (`new` = the latest run).
        new: String,
        /// Criterion's output directory.
        #[arg(long, default_value = "target/criterion")]
        criterion_dir: PathBuf,
        /// Smallest change that counts, in percent.
        #[arg(long, default_value_t = DEFAULT_THRESHOLD_PCT, value_name = "PCT", allow_negative_numbers = true)]
        threshold: f64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Run-to-run noise per benchmark [default: <criterion-dir>/cb-calibration.json when present].
        #[arg(long, value_name = "FILE")]
        calibration: Option<PathBuf>,
        /// History file for repeated runs of one commit [default: bench-history.jsonl at the workspace root, when present].
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// A fixed σ_run, in percent per run, for benchmarks neither the calibration nor the history knows [default: learned from the two runs' own spread; 10 when fewer than 5 benchmarks are compared].
        #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
        noise_default: Option<f64>,
        /// Code-placement noise per benchmark, added in quadrature [default: <criterion-dir>/cb-layout.json when present].
        #[arg(long, value_name = "FILE")]
        layout: Option<PathBuf>,
    },
    /// A/B rounds between two commits, interleaved benchmark by benchmark; exit 1 if anything regressed.
    #[command(
        long_about = "Build OLD and NEW (default: the working tree, uncommitted and untracked files included) once each, in their own git worktrees under target/ab/worktrees and their own target directories (target/ab/target-old, target/ab/target-new; reused by later invocations, so only what changed is rebuilt), then run every benchmark both sides have (Criterion's filter after `--`) in paired rounds, ABBA order (round r: old then new when r is even, new then old when odd). Every benchmark gets --min-rounds rounds back to back; then each benchmark still undecided gets 2 more at a time, until it is decided (regressed, improved or unchanged), reaches --max-rounds, or --budget runs out. With at most L looks per benchmark, α is split over them (Bonferroni: p-values × L, the unchanged interval at 1 − α/L), so stopping early does not raise the false-alarm rate. --rounds K runs exactly K rounds instead. Each run is a short Criterion run (CB_SAMPLES=10, CB_SAMPLE_MS=100, CB_MIN_ITERS=1, CB_TIMELINE=off unless set; other CB_* variables are passed on) saved as baseline ab-old-<r> / ab-new-<r> in --criterion-dir. The verdict comes from the spread of the paired per-round ratios of medians. The rounds reuse one binary per side, so their spread cannot see code placement: where --layout (default target/criterion/cb-layout.json) knows a benchmark's σ_layout above 0, 2·σ_layout² is added to the variance of the mean change. With --layouts M each side is relinked M times (rust-lld --shuffle-sections) and round r runs link order r mod M of each side, so the spread includes placement and nothing is added.\n\nCtrl-C stops the running benchmark, removes its partial run (runs are written to a staging directory and moved into place only when complete), reports what was completed and exits 130.\n\nExit status: 0 nothing regressed and all decided, 1 something regressed, 2 bad input, 3 nothing regressed but some benchmark inconclusive, 130 interrupted."
    )]
    Ab {
        /// The old revision (any git revision: commit, branch, tag, HEAD~2).
        old: String,
        /// The new revision [default: the working tree, uncommitted changes included].
        new: Option<String>,
        /// Exactly K paired rounds for every benchmark (at least 2), one look at the end, instead of stopping each benchmark once decided.
        #[arg(long, value_name = "K", conflicts_with_all = ["min_rounds", "max_rounds", "budget"])]
        rounds: Option<usize>,
        /// The first batch of rounds of every benchmark (even: as many old-first as new-first).
        #[arg(long, default_value_t = ab::DEFAULT_MIN_ROUNDS, value_name = "K")]
        min_rounds: usize,
        /// The most rounds of any benchmark: undecided ones get 2 more at a time up to this.
        #[arg(long, default_value_t = ab::DEFAULT_MAX_ROUNDS, value_name = "K")]
        max_rounds: usize,
        /// Start no batch of rounds that would end after this much time (e.g. 20m, 1h30m); what it leaves undecided is reported so.
        #[arg(long, value_name = "DURATION", value_parser = ab::parse_budget)]
        budget: Option<std::time::Duration>,
        /// Smallest change that counts, in percent.
        #[arg(long, default_value_t = DEFAULT_THRESHOLD_PCT, value_name = "PCT", allow_negative_numbers = true)]
        threshold: f64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Where the rounds' baselines go (earlier ab rounds there are removed first).
        #[arg(long, default_value = "target/ab/criterion")]
        criterion_dir: PathBuf,
        /// A CB_* setting for the old side's runs only (repeatable), e.g. CB_LATENCY_MS=22.
        #[arg(long, value_name = "CB_NAME=VALUE", value_parser = ab::parse_side_env)]
        old_env: Vec<(String, String)>,
        /// A CB_* setting for the new side's runs only (repeatable), e.g. the testing-only
        /// CB_TEST_SLOWDOWN=cpu/fib/rayon:5 to check that a slowdown is found.
        #[arg(long, value_name = "CB_NAME=VALUE", value_parser = ab::parse_side_env)]
        new_env: Vec<(String, String)>,
        /// Link orders per side: each side relinked M times (rust-lld --shuffle-sections), round r on link order r mod M, so the verdict is about the source, not one binary; for CPU kernels of a few instructions per iteration when the commits moved code.
        #[arg(long, default_value_t = 1, value_name = "M")]
        layouts: usize,
        /// Code-placement noise added to each benchmark without --layouts (2σ²_layout) [default: target/criterion/cb-layout.json when present].
        #[arg(long, value_name = "FILE")]
        layout: Option<PathBuf>,
        /// Criterion's filter and options, after `--` (e.g. `-- '^cpu/fib/'`).
        #[arg(last = true, value_name = "CRITERION ARGS")]
        criterion_args: Vec<String>,
    },
    /// Run the working tree's benchmarks K times, interleaved, and store each one's run-to-run noise.
    #[command(
        long_about = "Build the working tree's benches in place (cargo bench --no-run), then run every benchmark (Criterion's filter after `--`) K times, round-robin (run 1 of every benchmark, then run 2, ...: each benchmark's runs spread over the whole session, so the noise includes the drift that separates two plain runs), each saved as baseline cal-<r> in --criterion-dir, each at its group's own sample count (CB_SAMPLES and CB_SAMPLE_MS override it, as for cargo bench), and write <criterion-dir>/cb-calibration.json: each benchmark's run-to-run standard deviation of ln(median), which `compare` uses as its noise floor. Each run measures one benchmark; for whole groups in interleaved rounds, exactly as `cargo bench` runs them, save K plain runs (`cargo bench -- --save-baseline cal-1`, ...) and pass them with --from-baselines, which runs nothing.\n\nCtrl-C stops the running benchmark, removes its partial run, reports what was completed and exits 130."
    )]
    Calibrate {
        /// Runs per benchmark (at least 2).
        #[arg(long, default_value_t = target_report::calibrate::DEFAULT_RUNS, value_name = "K")]
        runs: usize,
        /// Criterion's output directory (earlier cal-<r> baselines there are removed first).
        #[arg(long, default_value = "target/criterion")]
        criterion_dir: PathBuf,
        /// Build the calibration from these baselines already measured (comma-separated; plain runs of one build, at least 2), running nothing.
        #[arg(long, value_delimiter = ',', value_name = "NAMES", conflicts_with_all = ["runs", "criterion_args"])]
        from_baselines: Vec<String>,
        /// Criterion's filter and options, after `--`.
        #[arg(last = true, value_name = "CRITERION ARGS")]
        criterion_args: Vec<String>,
    },
    /// Relink the working tree's benches in M section orders and measure each benchmark's code-placement noise.
    #[command(
        long_about = "Build the working tree's bench executables and cb-worker (target/layout/target, through a linker wrapper), then relink them M times with rust-lld's --shuffle-sections (a seed per build, recorded; only the bench and cb-worker crates recompile and relink), and run every benchmark (Criterion's filter after `--`) K times on every build, round-robin with the build order rotated per round (CB_SAMPLES=10 unless set; each build's runs use its own cb-worker through CB_WORKER_EXE). Writes <criterion-dir>/cb-layout.json: per benchmark the per-layout medians, their min and max, the SD of ln(median) across layouts, and σ_layout = sqrt(max(0, (MS_between - MS_within)/K)) with Satterthwaite's df, the spread between link orders beyond the run-to-run noise. compare, ab, history and backfill add it to their noise where it is above zero.\n\nCtrl-C stops the running benchmark, removes its partial run, reports what was completed and exits 130."
    )]
    Layout {
        /// Link orders M (at least 2).
        #[arg(long, default_value_t = target_report::layout::DEFAULT_BUILDS, value_name = "M")]
        builds: usize,
        /// Runs of every benchmark on every link order (at least 2).
        #[arg(long, default_value_t = target_report::layout::DEFAULT_ROUNDS, value_name = "K")]
        rounds: usize,
        /// Seed of the link orders' seeds [default: from the clock].
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Criterion's output directory (earlier lay<b>-<r> baselines there are removed first).
        #[arg(long, default_value = "target/criterion")]
        criterion_dir: PathBuf,
        /// Criterion's filter and options, after `--`.
        #[arg(last = true, value_name = "CRITERION ARGS")]
        criterion_args: Vec<String>,
    },
    /// Append the latest results (new/) to the history file, tagged with commit and machine.
    #[command(
        long_about = "Append the latest results (Criterion's new/ baseline) to the history file as one line, tagged with the commit, its date, whether the tree was dirty, and the machine.\n\nA run already in the history is not appended again: when every benchmark's Criterion samples (a fingerprint of sample.json's iters and times; for older records without one, the medians, intervals and sample counts) equal those of an existing record, `record` says so and writes nothing, so running it twice after one `cargo bench` stores the run once."
    )]
    Record {
        /// Criterion's output directory.
        #[arg(long, default_value = "target/criterion")]
        criterion_dir: PathBuf,
        /// History file [default: bench-history.jsonl at the workspace root].
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
    },
    /// Render a trend chart per benchmark across the history, marking step changes.
    #[command(
        long_about = "Render one SVG trend chart per benchmark across the history file's records (in file order) and an index.html listing them.\n\nStep changes: an optimal piecewise-constant fit of the log-medians (PELT) under an L1 cost divided by a robust noise scale (1.4826 x median absolute successive difference / sqrt 2, floored by Criterion's own interval widths and 0.1%), with a penalty of 3 ln(n) per segment; a step must last at least two records. Where the run-to-run noise was measured, it is the noise scale instead: the calibration's σ per benchmark (--calibration, default target/criterion/cb-calibration.json when present, written by `target-report calibrate`), else the pooled σ of at least 3 clean records of one commit on one machine in the history; the page says which source each benchmark's scale came from. Where --layout (default target/criterion/cb-layout.json) knows a benchmark's code-placement noise σ_layout, the scale is at least sqrt(σ_run² + σ_layout²) (at least σ_layout on the series' own scale): every record is another binary, and a step that a layout-only relink reproduces is not a step in the code. Records of commits that could not be measured (a backfill's build_failed, no_benchmarks or run_failed) are listed as gaps. Corrupt lines are reported with their line numbers and skipped."
    )]
    History {
        /// History file [default: bench-history.jsonl at the workspace root].
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Where to write index.html and the charts (created if needed).
        #[arg(long, default_value = "target/criterion/history")]
        out: PathBuf,
        /// Run-to-run noise per benchmark for the step detector [default: target/criterion/cb-calibration.json when present].
        #[arg(long, value_name = "FILE")]
        calibration: Option<PathBuf>,
        /// Code-placement noise per benchmark, a floor on the step detector's scale [default: target/criterion/cb-layout.json when present].
        #[arg(long, value_name = "FILE")]
        layout: Option<PathBuf>,
    },
    /// Build and benchmark each commit of a range, append each run to the history, draw `history`.
    #[command(
        long_about = BACKFILL_ABOUT
    )]
    Backfill {
        /// The commits: A..B (those reachable from B but not A, first parents only, oldest first).
        range: String,
        /// Measure every Nth commit, counted back from B (B is always measured).
        #[arg(long, default_value_t = 1, value_name = "N")]
        every: usize,
        /// History file [default: bench-history.jsonl at the workspace root].
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Where to write the history page at the end (as `history --out`).
        #[arg(long, default_value = "target/criterion/history")]
        out: PathBuf,
        /// Criterion's filter and options, after `--`.
        #[arg(last = true, value_name = "CRITERION ARGS")]
        criterion_args: Vec<String>,
    },
    /// Write a Chrome trace-event file (Perfetto, chrome://tracing) of every cb-timeline.json.
    #[command(
        long_about = "Write every cb-timeline.json of a baseline as a Chrome trace-event JSON file that opens in Perfetto's UI (ui.perfetto.dev) and chrome://tracing: <dir>__<function>.trace.json per benchmark (e.g. io_download__async_tokio.trace.json) and <group>.trace.json with every strategy of a workload side by side.\n\nLayout: one process per strategy, named by its benchmark id (e.g. io/download/async_tokio); one thread per worker row (\"worker N\"); one event per job with its start and duration in microseconds, from the run's start. A row's jobs are complete events (ph X) when they are disjoint in time; a row whose jobs overlap (tasks interleaved on one runtime thread) gets nestable async events (ph b/e, category \"job\", one id per job) instead, since complete events on one thread must nest. A \"wall time\" thread holds the run's measured wall time, and I/O runs get the ideal schedule ceil(N/C)*L as threads of their own: ceil(N/C) back-to-back waves of L, at the configured latency and at the server's measured single-request latency (cb-meta.json). `summary` writes the same files into <out>/traces and links them."
    )]
    Trace {
        /// Criterion's output directory.
        #[arg(long, default_value = "target/criterion")]
        criterion_dir: PathBuf,
        /// Where to write the trace files (created if needed).
        #[arg(long, default_value = "target/criterion/summary/traces")]
        out: PathBuf,
        /// The baseline whose timelines to export (`new` is the latest run).
        #[arg(long, default_value = "new")]
        baseline: String,
        /// Only benchmarks whose id contains this text (e.g. `io/download/`).
        filter: Option<String>,
    },
}

const BACKFILL_ABOUT: &str = "Build and benchmark each commit of REV_RANGE (A..B: `git rev-list --first-parent --reverse A..B`; with --every N, every Nth counted back from B) and append one record per commit to the history file, with that commit's git information, then draw the history page (as `target-report history`).\n\nEach commit is checked out in one worktree moved from commit to commit (target/backfill/worktree) and built into one shared target directory (target/backfill/target), so dependencies are compiled once and each commit rebuilds only what changed. Each benchmark the filter selects runs once per commit as a short Criterion run (CB_SAMPLES=10 unless set; other CB_* variables are passed on), saved as baseline bf-<commit> in target/backfill/criterion.\n\nA commit that does not build is recorded with status build_failed and its build log's path (one where no benchmark matches with no_benchmarks, one whose bench executable fails while listing or running with run_failed and the error), and shown as a gap by `history`; the backfill goes on. Commits that already have a record from a backfill with the same Criterion arguments and CB_* configuration on this machine are skipped, so after Ctrl-C (which removes the run in progress and exits 130) the same command resumes where it stopped; a commit whose run failed is tried again.\n\nExit status: 0 done, 2 bad input (e.g. a bad REV_RANGE), 130 interrupted.";

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned plain text.
    Table,
    /// A Markdown table ready to paste into a pull request.
    Markdown,
    /// JSON for scripts.
    Json,
}

/// What `summary` produces.
#[derive(Clone, Copy, ValueEnum)]
enum SummaryFormat {
    /// index.html, summary.md, summary.json and the sweep charts, written to --out.
    Page,
    /// Bencher Metric Format on stdout: each benchmark's `latency` in ns (`bencher run --adapter json`).
    Bmf,
    /// github-action-benchmark's customSmallerIsBetter JSON on stdout, in ns/iter.
    CustomSmallerIsBetter,
}

fn main() {
    // A panic would be a bug, but the promise to callers is one line and status 2, never a
    // backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "target-report: internal error: {}",
            info.to_string().replace('\n', " ")
        );
        std::process::exit(2);
    }));
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        use clap::error::ErrorKind;
        if matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ) {
            e.exit()
        }
        // Bad usage is bad input: one line naming it, status 2 (clap's usage block would
        // bury the line in a CI log).
        let text = e.to_string();
        let what: Vec<&str> = text
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        eprintln!(
            "target-report: {} (see --help)",
            what.join(" ").trim_start_matches("error: ")
        );
        std::process::exit(2)
    });
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("target-report: error: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// Prints to stdout, treating a closed pipe (`| head`) as success.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::msg(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// A comparison (`compare`'s or `ab`'s verdict) in the chosen format.
fn render_comparison(c: &compare::Comparison, format: Format) -> String {
    match format {
        Format::Table => PlainTable.render(c),
        Format::Markdown => Markdown.render(c),
        Format::Json => Json.render(c),
    }
}

/// Exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
const INTERRUPTED: i32 = 130;

/// What an interrupted `ab` or `calibrate` completed, on stderr.
fn report_interrupted(outcome: Option<&Outcome>, criterion_dir: &std::path::Path) {
    match outcome {
        None => eprintln!(
            "interrupted before the first run: nothing was written to {}",
            criterion_dir.display()
        ),
        Some(o) => eprintln!(
            "interrupted after {}: {} of {} runs completed and kept in {} ({} benchmarks complete{}); the run in progress was removed",
            format_duration(o.elapsed),
            o.completed,
            o.total,
            criterion_dir.display(),
            o.complete_benches.len(),
            if o.complete_benches.is_empty() {
                String::new()
            } else {
                format!(": {}", o.complete_benches.join(", "))
            }
        ),
    }
}

/// A terminal's Ctrl-C also reaches the short git and `--list` commands `ab` runs in its own
/// process group; they then fail, but the failure is the interruption, not an error: `None`.
fn interrupted_as_such<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Err(_) if child::stop_flag().load(std::sync::atomic::Ordering::SeqCst) => Ok(None),
        other => other.map(Some),
    }
}

fn current_dir() -> Result<PathBuf> {
    std::env::current_dir()
        .map_err(|e| Error::msg(format!("cannot read the current directory: {e}")))
}

fn default_history(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::msg(format!("cannot read the current directory: {e}")))?;
    machine::workspace_root(&cwd)
        .map(|root| root.join(history::DEFAULT_FILE))
        .ok_or_else(|| {
            Error::at(
                &cwd,
                "no Cargo.toml with [workspace] here or above; pass --history FILE",
            )
        })
}

fn run(command: Command) -> Result<i32> {
    match command {
        Command::Summary {
            criterion_dir,
            out,
            baseline,
            format,
        } => match format {
            SummaryFormat::Page => summary_command(criterion_dir, out, baseline),
            SummaryFormat::Bmf => summary_export(&criterion_dir, &out, &baseline, &Bmf),
            SummaryFormat::CustomSmallerIsBetter => {
                summary_export(&criterion_dir, &out, &baseline, &CustomSmallerIsBetter)
            }
        },
        Command::Compare {
            old,
            new,
            criterion_dir,
            threshold,
            format,
            calibration,
            history,
            noise_default,
            layout,
        } => {
            let floor = noise_floor(&criterion_dir, calibration, history, noise_default)?;
            let layout = layout
                .or_else(|| Some(criterion_dir.join(noise::LAYOUT_FILE)).filter(|p| p.exists()));
            let floor = floor.with_layout(layout.as_deref())?;
            compare_command(&criterion_dir, (&old, &new), threshold, format, &floor)
        }
        Command::Ab {
            old,
            new,
            rounds,
            min_rounds,
            max_rounds,
            budget,
            threshold,
            format,
            criterion_dir,
            old_env,
            new_env,
            layouts,
            layout,
            criterion_args,
        } => ab_command(
            ab::Options {
                old,
                new,
                rounds: match rounds {
                    Some(k) => ab::RoundCount::Fixed(k),
                    None => ab::RoundCount::Sequential(ab::Stopping {
                        min_rounds,
                        max_rounds,
                        budget,
                    }),
                },
                threshold_pct: threshold,
                criterion_dir,
                criterion_args,
                old_env,
                new_env,
                layouts,
                layout_file: layout.or_else(|| {
                    Some(PathBuf::from("target/criterion").join(noise::LAYOUT_FILE))
                        .filter(|p| p.exists())
                }),
            },
            format,
        ),
        Command::Calibrate {
            runs,
            criterion_dir,
            from_baselines,
            criterion_args,
        } => calibrate_command(runs, criterion_dir, &from_baselines, criterion_args),
        Command::Layout {
            builds,
            rounds,
            seed,
            criterion_dir,
            criterion_args,
        } => layout_command(layout::Options {
            builds,
            rounds,
            seed,
            criterion_dir,
            criterion_args,
        }),
        Command::Record {
            criterion_dir,
            history,
        } => record_command(criterion_dir, history),
        Command::History {
            history,
            out,
            calibration,
            layout,
        } => history_command(history, out, calibration, layout),
        Command::Backfill {
            range,
            every,
            history,
            out,
            criterion_args,
        } => backfill_command(range, every, history, out, criterion_args),
        Command::Trace {
            criterion_dir,
            out,
            baseline,
            filter,
        } => trace_command(criterion_dir, out, baseline, filter),
    }
}

/// `summary`: the summary page, its Markdown and JSON, and one chart per sweep.
fn summary_command(criterion_dir: PathBuf, out: PathBuf, baseline: String) -> Result<i32> {
    let s = summary::build(&criterion_dir, &baseline, &out)?;
    let mut files = vec![
        ("index.html".to_string(), Html.render(&s).into_bytes()),
        ("summary.md".to_string(), Markdown.render(&s).into_bytes()),
        ("summary.json".to_string(), Json.render(&s).into_bytes()),
    ];
    // summary.md shows each sweep's chart as an image beside it (index.html inlines them).
    for sw in &s.sweeps {
        let chart = svg::sweep::render(&svg::sweep::from_sweep(sw));
        files.push((
            sw.chart_file(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{chart}\n").into_bytes(),
        ));
    }
    // The traces first: the pages link to them.
    let traces = trace::files(&trace::from_summary(&s));
    if !traces.is_empty() {
        atomic_write::write_files(&out.join(trace::TRACES_DIR), &traces)?;
    }
    atomic_write::write_files(&out, &files)?;
    warn_defects(&s);
    let rows: usize = s.tables.iter().map(|t| t.rows.len()).sum();
    let unmeasured: usize = s.tables.iter().map(|t| t.unmeasured.len()).sum();
    print(&format!(
        "wrote index.html, summary.md and summary.json{} to {} ({} trace files in {}/): {} workloads, {rows} measured strategies{}\n",
        if s.sweeps.is_empty() {
            String::new()
        } else {
            format!(" and {} sweep charts", s.sweeps.len())
        },
        out.display(),
        traces.len(),
        trace::TRACES_DIR,
        s.tables.len(),
        if unmeasured + s.missing.len() > 0 {
            format!(", {} gaps listed under Missing", unmeasured + s.missing.len())
        } else {
            String::new()
        }
    ))?;
    Ok(0)
}

/// `summary --format bmf|custom-smaller-is-better`: the measured strategies as one document on
/// stdout (nothing else there, so a tracking tool can read it whole); nothing is written.
fn summary_export(
    criterion_dir: &std::path::Path,
    out: &std::path::Path,
    baseline: &str,
    exporter: &dyn Exporter<summary::Summary>,
) -> Result<i32> {
    let s = summary::build(criterion_dir, baseline, out)?;
    for t in s.tables.iter().filter(|t| !t.set_apart.is_empty()) {
        let names: Vec<&str> = t.set_apart.iter().map(|a| a.function.as_str()).collect();
        eprintln!(
            "target-report: warning: {}: {} left out, measured with other settings than the rest of the table",
            t.title(),
            names.join(", ")
        );
    }
    warn_defects(&s);
    print(&exporter.render(&s))?;
    Ok(0)
}

/// The summary's measurement defects on stderr, whatever the format: impossible speed-ups are
/// named wherever the numbers go (BMF has no place for a sentence).
fn warn_defects(s: &summary::Summary) {
    for line in plain::defect_lines(s) {
        eprintln!("target-report: warning: {line}");
    }
}

/// The noise floor `compare` holds changes against: `--calibration` (default: the Criterion
/// directory's `cb-calibration.json`, when present), the history file (optional unless named),
/// else `--noise-default` when given, else the two runs' own spread (see `compare::build`),
/// else the default SD per run.
fn noise_floor(
    criterion_dir: &std::path::Path,
    calibration: Option<PathBuf>,
    history: Option<PathBuf>,
    noise_default: Option<f64>,
) -> Result<NoiseFloor> {
    let calibration = calibration
        .or_else(|| Some(criterion_dir.join(noise::CALIBRATION_FILE)).filter(|p| p.exists()));
    // The history is optional unless named: no workspace, or no file, means no history.
    let history = history.or_else(|| default_history(None).ok().filter(|p| p.exists()));
    NoiseFloor::load(
        calibration.as_deref(),
        history.as_deref(),
        noise_default.map(|pct| pct / 100.0),
    )
}

/// `compare OLD NEW`: every benchmark's verdict against the noise floor, in `format`.
fn compare_command(
    criterion_dir: &std::path::Path,
    (old, new): (&str, &str),
    threshold: f64,
    format: Format,
    floor: &NoiseFloor,
) -> Result<i32> {
    let c = compare::build(criterion_dir, old, new, threshold, floor)?;
    print(&render_comparison(&c, format))?;
    Ok(c.exit_code())
}

/// `ab OLD [NEW]`: interleaved A/B rounds of two commits and their verdict in `format`.
fn ab_command(opts: ab::Options, format: Format) -> Result<i32> {
    ab::validate(&opts)?;
    child::install_signal_handlers()?;
    match interrupted_as_such(ab::run(&opts, &current_dir()?, child::stop_flag()))? {
        None => {
            report_interrupted(None, &opts.criterion_dir);
            Ok(INTERRUPTED)
        }
        Some(ab::Finished::Verdict(c)) => {
            print(&render_comparison(&c, format))?;
            Ok(c.exit_code())
        }
        Some(ab::Finished::Interrupted(o)) => {
            report_interrupted(o.as_ref(), &opts.criterion_dir);
            Ok(INTERRUPTED)
        }
    }
}

/// `calibrate`: K interleaved runs of one build for the run-to-run noise, or (with
/// `from_baselines`) the calibration from runs already saved.
fn calibrate_command(
    runs: usize,
    criterion_dir: PathBuf,
    from_baselines: &[String],
    criterion_args: Vec<String>,
) -> Result<i32> {
    if !from_baselines.is_empty() {
        let benchmarks = calibrate::from_baselines(&criterion_dir, from_baselines)?;
        print(&format!(
            "wrote {} from {} runs of {benchmarks} benchmarks\n",
            criterion_dir.join(noise::CALIBRATION_FILE).display(),
            from_baselines.len()
        ))?;
        return Ok(0);
    }
    let opts = calibrate::Options {
        runs,
        criterion_dir,
        criterion_args,
    };
    calibrate::validate(&opts)?;
    child::install_signal_handlers()?;
    match interrupted_as_such(calibrate::run(&opts, &current_dir()?, child::stop_flag()))? {
        None => {
            report_interrupted(None, &opts.criterion_dir);
            Ok(INTERRUPTED)
        }
        Some(calibrate::Finished::Written { benchmarks, runs }) => {
            print(&format!(
                "wrote {} from {runs} runs of {benchmarks} benchmarks\n",
                opts.criterion_dir.join("cb-calibration.json").display()
            ))?;
            Ok(0)
        }
        Some(calibrate::Finished::Interrupted(o)) => {
            report_interrupted(o.as_ref(), &opts.criterion_dir);
            Ok(INTERRUPTED)
        }
    }
}

/// `layout`: M link orders of one build, each benchmark run K times on each.
fn layout_command(opts: layout::Options) -> Result<i32> {
    layout::validate(&opts)?;
    child::install_signal_handlers()?;
    match interrupted_as_such(layout::run(&opts, &current_dir()?, child::stop_flag()))? {
        Some(layout::Finished::Written(l)) => {
            print(&PlainTable.render(l.as_ref()))?;
            print(&format!(
                "{}; wrote {}\n",
                target_report::export::layout::summary_line(&l),
                opts.criterion_dir.join(noise::LAYOUT_FILE).display()
            ))?;
            Ok(0)
        }
        other => {
            let o = match other {
                Some(layout::Finished::Interrupted(o)) => o,
                _ => None,
            };
            report_interrupted(o.as_ref(), &opts.criterion_dir);
            Ok(INTERRUPTED)
        }
    }
}

/// `record`: one line appended to the history file.
fn record_command(criterion_dir: PathBuf, history: Option<PathBuf>) -> Result<i32> {
    let path = default_history(history)?;
    let (benchmarks, skipped) = history::collect(&criterion_dir)?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let repo = machine::workspace_root(&cwd).unwrap_or(cwd);
    let git = machine::git_info(&repo, Some(&path));
    if git.commit.is_none() {
        eprintln!(
            "target-report: warning: {} is not a git checkout (or git is missing): the record has no commit",
            repo.display()
        );
    }
    let record = Record {
        schema: 1,
        recorded_at: machine::utc_now(),
        git,
        machine: machine::machine(),
        benchmarks,
        origin: None,
        status: None,
        reason: None,
    };
    if let Some(line) = history::append_new_run(&path, &record)? {
        print(&format!(
            "not recorded: this run (the same Criterion samples) is already in {} at line {line}\n",
            path.display()
        ))?;
        return Ok(0);
    }
    for s in &skipped {
        eprintln!("target-report: warning: {s}: no estimates.json, not recorded");
    }
    print(&format!(
        "recorded {} benchmarks at {}{} to {}\n",
        record.benchmarks.len(),
        record
            .git
            .commit
            .as_deref()
            .map_or("no commit", |c| &c[..c.len().min(12)]),
        if record.git.dirty == Some(true) {
            " (dirty tree)"
        } else {
            ""
        },
        path.display()
    ))?;
    Ok(0)
}

/// `history`: the trend page, one chart per benchmark with its step changes.
fn history_command(
    history: Option<PathBuf>,
    out: PathBuf,
    calibration: Option<PathBuf>,
    layout: Option<PathBuf>,
) -> Result<i32> {
    let path = default_history(history)?;
    let calibration = calibration.or_else(|| {
        Some(PathBuf::from("target/criterion").join(noise::CALIBRATION_FILE)).filter(|p| p.exists())
    });
    let calibration = match calibration {
        Some(p) => Some((noise::Calibration::load(&p)?, p)),
        None => None,
    };
    let loaded = history::load(&path)?;
    for (line, why) in &loaded.corrupt {
        eprintln!(
            "target-report: warning: {}:{line}: corrupt line skipped: {why}",
            path.display()
        );
    }
    let layout = layout_file(layout, std::path::Path::new("target/criterion"))?;
    let report = HistoryReport::build(
        &path,
        loaded,
        calibration.as_ref().map(|(c, p)| (p.as_path(), c)),
        layout.as_ref().map(|(p, l)| (p.as_path(), l)),
    )?;
    let mut files = vec![("index.html".to_string(), Html.render(&report).into_bytes())];
    for (series, file) in &report.charts {
        let points: Vec<svg::trend::TrendPoint> = series
            .points
            .iter()
            .map(|p| svg::trend::TrendPoint {
                label: p.label(),
                median_ns: p.median_ns,
                lower_ns: p.lower_ns,
                upper_ns: p.upper_ns,
            })
            .collect();
        let chart = svg::trend::render(&series.id, &points, &series.fit);
        files.push((
            file.clone(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{chart}\n").into_bytes(),
        ));
    }
    atomic_write::write_files(&out, &files)?;
    let steps: usize = report.charts.iter().map(|(s, _)| s.fit.steps.len()).sum();
    print(&format!(
        "wrote index.html and {} charts to {} from {} records: {steps} step changes\n",
        report.charts.len(),
        out.display(),
        report.records
    ))?;
    Ok(0)
}

/// `trace`: a Chrome trace-event file per timeline run, and one per workload.
fn trace_command(
    criterion_dir: PathBuf,
    out: PathBuf,
    baseline: String,
    filter: Option<String>,
) -> Result<i32> {
    let loaded = trace::load(&criterion_dir, &baseline, filter.as_deref())?;
    let sources: Vec<trace::TraceSource> = loaded.iter().map(|l| l.source()).collect();
    let files = trace::files(&sources);
    atomic_write::write_files(&out, &files)?;
    print(&format!(
        "wrote {} trace files to {}: {} timelines, one file each, and {} per workload\n",
        files.len(),
        out.display(),
        sources.len(),
        files.len().saturating_sub(sources.len())
    ))?;
    Ok(0)
}

/// `backfill A..B`: each commit built, benchmarked and recorded; then the history page.
fn backfill_command(
    range: String,
    every: usize,
    history: Option<PathBuf>,
    out: PathBuf,
    criterion_args: Vec<String>,
) -> Result<i32> {
    let opts = backfill::Options {
        range,
        every,
        history: default_history(history)?,
        criterion_args,
    };
    backfill::validate(&opts)?;
    child::install_signal_handlers()?;
    match interrupted_as_such(backfill::run(&opts, &current_dir()?, child::stop_flag()))? {
        Some(backfill::Finished::Done(tally)) => eprintln!("{}", tally.done_line()),
        finished => {
            let tally = match finished {
                Some(backfill::Finished::Interrupted(t)) => Some(t),
                _ => None,
            };
            eprintln!(
                "{}",
                backfill::Tally::interrupted_line(tally.as_ref(), &opts.history)
            );
            return Ok(INTERRUPTED);
        }
    }
    history_command(Some(opts.history), out, None, None)
}

/// `--layout FILE` (default: `<criterion_dir>/cb-layout.json` when present), read and checked.
fn layout_file(
    layout: Option<PathBuf>,
    criterion_dir: &std::path::Path,
) -> Result<Option<(PathBuf, noise::LayoutNoise)>> {
    let path =
        layout.or_else(|| Some(criterion_dir.join(noise::LAYOUT_FILE)).filter(|p| p.exists()));
    match path {
        Some(p) => Ok(Some((p.clone(), noise::LayoutNoise::load(&p)?))),
        None => Ok(None),
    }
}
