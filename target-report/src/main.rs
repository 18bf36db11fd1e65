//! `target-report`: the summary page, baseline comparison and commit history of the
//! concurrency-bench Criterion results. See the library crate (`target_report`) for what it is
//! for and not for, and for the statistical methods.
//!
//! This file is the command line and the dispatch to each command's handler,
//! `target_report::commands::<command>::run`, which returns the exit status (listed in
//! `target_report::commands`); only `main` exits.

use clap::{Parser, Subcommand};

use target_report::commands::{
    ab, backfill, calibrate, compare, history, layout, record, summary, trace,
};
use target_report::Result;

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
    Summary(summary::Args),
    /// Compare two Criterion baselines against the run-to-run noise; exit 1 if anything regressed, 3 if inconclusive.
    #[command(
        long_about = "Compare two Criterion baselines (names given to `cargo bench -- --save-baseline NAME`, or `new` for the latest run). For every benchmark in both: both medians, the change with the interval that decided its verdict, the change the rule would call regressed (and those it would call unchanged) with 80% probability, where the noise estimate came from, and a verdict: regressed, improved, unchanged or inconclusive. The two sides' configurations (each baseline's cb-meta.json) are shown side by side; a difference is a warning. Benchmarks only on one side are listed as added/removed. One noise line says what a `calibrate --runs K` would change here.\n\nThe run-to-run noise of each benchmark comes from --calibration, else the history file (3 clean runs of one commit), else the two runs' own spread (5 benchmarks or more), else --noise-default or 10% per run; --layout adds the code-placement noise. Regressed means the change is shown to exceed +T after Holm's correction over all benchmarks; unchanged, that its 95% interval lies within +-T. The method: the README's \"Is it slower?\", or the Statistics section of the crate's documentation (cargo doc -p target-report).\n\nExit status: 0 nothing regressed and all decided, 1 something regressed, 2 bad input, 3 nothing regressed but something inconclusive."
    )]
    Compare(compare::Args),
    /// A/B rounds between two commits, interleaved benchmark by benchmark; exit 1 if anything regressed.
    #[command(
        long_about = "Build OLD and NEW (default: the working tree, uncommitted and untracked files included) once each, in their own git worktrees under target/ab/worktrees and their own target directories (target/ab/target-old, target/ab/target-new; reused by later invocations, so only what changed is rebuilt), then run every benchmark both sides have (Criterion's filter after `--`) in paired rounds, ABBA order (round r: old then new when r is even, new then old when odd; in lock step, below, this is which of the two starts first). Every benchmark gets --min-rounds rounds back to back; then each benchmark still undecided gets 2 more at a time, until it is decided (regressed, improved or unchanged), reaches --max-rounds, or --budget runs out. Round 0 of every benchmark runs alone; a benchmark that kept at most 0.1 cores busy on both sides of it (one that waits on latency, by the suite's CPU-time record) runs its later rounds side by side with the other such benchmarks, as many runs at once as keep --side-by-side-cores busy. Every other round runs its two sides at once in lock step: they take turns sample by sample through a coordinator (the suite reads its socket from CB_TURNS), so only one measures at a time and both live through the same moments of a noisy machine (off with --no-lock-step, or when a side's suite does not read CB_TURNS). α is split over each benchmark's looks, so stopping early does not raise the false-alarm rate (the method: the README's \"Is it slower?\"). --rounds K runs exactly K rounds instead. Each run is a short Criterion run (CB_SAMPLES=10, CB_SAMPLE_MS=100, CB_MIN_ITERS=1, CB_TIMELINE=off unless set; other CB_* variables are passed on) saved as baseline ab-old-<r> / ab-new-<r> in --criterion-dir. The verdict comes from the spread of the per-round changes: in lock step, the median of the log ratios of the two runs' samples paired in the order taken (sample i of each side were a turn apart, so an episode of the machine cancels in their ratio); one after the other, the ratio of each run's fastest sample (interference on a shared machine only adds time, so the minimum moves far less between runs than the median; a slow-down of only some iterations moves the median, not it). The rounds reuse one binary per side, so their spread cannot see code placement: where --layout (default target/criterion/cb-layout.json) knows a benchmark's σ_layout above 0, 2·σ_layout² is added to the variance of the mean change. With --layouts M each side is relinked M times (rust-lld --shuffle-sections) and round r runs link order r mod M of each side, so the spread includes placement and nothing is added.\n\nCtrl-C stops the running benchmark, removes its partial run (runs are written to a staging directory and moved into place only when complete), reports what was completed and exits 130.\n\nExit status: 0 nothing regressed and all decided, 1 something regressed, 2 bad input, 3 nothing regressed but some benchmark inconclusive, 130 interrupted."
    )]
    Ab(ab::Args),
    /// Run the working tree's benchmarks K times, interleaved, and store each one's run-to-run noise.
    #[command(
        long_about = "Build the working tree's benches in place (cargo bench --no-run), then run every group of the selected benchmarks (Criterion's filter after `--`) K times, round-robin (run 1 of every group, then run 2, ...: each benchmark's runs spread over the whole session, so the noise includes the drift that separates two plain runs), and write <criterion-dir>/cb-calibration.json: each benchmark's run-to-run standard deviation of ln(median), which `compare` uses as its noise floor. A run of a group is one call of its bench executable selecting exactly the group's selected benchmarks, which it measures interleaved in rounds as `cargo bench` does, at the group's own sample count (CB_SAMPLES and CB_SAMPLE_MS override it, as for cargo bench), saving each as baseline cal-<r> in --criterion-dir; --per-benchmark runs each benchmark alone instead. For runs exactly as `cargo bench` makes them (all groups of a bench target in one process), save K plain runs (`cargo bench -- --save-baseline cal-1`, ...) and pass them with --from-baselines, which runs nothing.\n\nCtrl-C stops the run in progress, removes its partial results, reports what was completed and exits 130."
    )]
    Calibrate(calibrate::Args),
    /// Relink the working tree's benches in M section orders and measure each benchmark's code-placement noise.
    #[command(
        long_about = "Build the working tree's bench executables and cb-worker (target/layout/target, through a linker wrapper), then relink them M times with rust-lld's --shuffle-sections (a seed per build, recorded; only the bench and cb-worker crates recompile and relink), and run every benchmark (Criterion's filter after `--`) K times on every build, round-robin with the build order rotated per round (CB_SAMPLES=10 unless set; each build's runs use its own cb-worker through CB_WORKER_EXE). Writes <criterion-dir>/cb-layout.json: per benchmark the per-layout medians, their min and max, the SD of ln(median) across layouts, and σ_layout, the spread between link orders beyond the run-to-run noise (the method: the README's \"Code placement\"). compare, ab, history and backfill add it to their noise where it is above zero.\n\nCtrl-C stops the running benchmark, removes its partial run, reports what was completed and exits 130."
    )]
    Layout(layout::Args),
    /// Append the latest results (new/) to the history file, tagged with commit and machine.
    #[command(
        long_about = "Append the latest results (Criterion's new/ baseline) to the history file as one line, tagged with the commit, its date, whether the tree was dirty, and the machine.\n\nA run already in the history is not appended again: when every benchmark's Criterion samples (a fingerprint of sample.json's iters and times; for older records without one, the medians, intervals and sample counts) equal those of an existing record, `record` says so and writes nothing, so running it twice after one `cargo bench` stores the run once."
    )]
    Record(record::Args),
    /// Render a trend chart per benchmark across the history, marking step changes.
    #[command(
        long_about = "Render one SVG trend chart per benchmark across the history file's records (in file order) and an index.html listing them, with step changes marked (a step lasts at least two records). The steps are held against the measured run-to-run noise where there is one (--calibration, else at least 3 clean records of one commit on one machine), else against the series' own spread, and never below --layout's code-placement noise; the page says which source each benchmark's scale came from. The method: the README's \"Regression tracking between commits\", or the Statistics section of the crate's documentation (cargo doc -p target-report). Records of commits that could not be measured (a backfill's build_failed, no_benchmarks or run_failed) are listed as gaps. Corrupt lines are reported with their line numbers and skipped."
    )]
    History(history::Args),
    /// Build and benchmark each commit of a range, append each run to the history, draw `history`.
    #[command(long_about = BACKFILL_ABOUT)]
    Backfill(backfill::Args),
    /// Write a Chrome trace-event file (Perfetto, chrome://tracing) of every cb-timeline.json.
    #[command(
        long_about = "Write every cb-timeline.json of a baseline as a Chrome trace-event JSON file that opens in Perfetto's UI (ui.perfetto.dev) and chrome://tracing: <dir>__<function>.trace.json per benchmark (e.g. io_download__async_tokio.trace.json) and <group>.trace.json with every strategy of a workload side by side.\n\nLayout: one process per strategy, named by its benchmark id (e.g. io/download/async_tokio); one thread per worker row (\"worker N\"); one event per job with its start and duration in microseconds, from the run's start. A row's jobs are complete events (ph X) when they are disjoint in time; a row whose jobs overlap (tasks interleaved on one runtime thread) gets nestable async events (ph b/e, category \"job\", one id per job) instead, since complete events on one thread must nest. A \"wall time\" thread holds the run's measured wall time, and I/O runs get the ideal schedule ceil(N/C)*L as threads of their own: ceil(N/C) back-to-back waves of L, at the configured latency and at the server's measured single-request latency (cb-meta.json). `summary` writes the same files into <out>/traces and links them."
    )]
    Trace(trace::Args),
}

const BACKFILL_ABOUT: &str = "Build and benchmark each commit of REV_RANGE (A..B: `git rev-list --first-parent --reverse A..B`; with --every N, every Nth counted back from B) and append one record per commit to the history file, with that commit's git information, then draw the history page (as `target-report history`).\n\nEach commit is checked out in one worktree moved from commit to commit (target/backfill/worktree) and built into one shared target directory (target/backfill/target), so dependencies are compiled once and each commit rebuilds only what changed. Each benchmark the filter selects runs once per commit as a short Criterion run (CB_SAMPLES=10 unless set; other CB_* variables are passed on), saved as baseline bf-<commit> in target/backfill/criterion.\n\nA commit that does not build is recorded with status build_failed and its build log's path (one where no benchmark matches with no_benchmarks, one whose bench executable fails while listing or running with run_failed and the error), and shown as a gap by `history`; the backfill goes on. Commits that already have a record from a backfill with the same Criterion arguments and CB_* configuration on this machine are skipped, so after Ctrl-C (which removes the run in progress and exits 130) the same command resumes where it stopped; a commit whose run failed is tried again.\n\nExit status: 0 done, 2 bad input (e.g. a bad REV_RANGE), 130 interrupted.";

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

/// Each command to its handler.
fn run(command: Command) -> Result<i32> {
    match command {
        Command::Summary(args) => summary::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Ab(args) => ab::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Layout(args) => layout::run(args),
        Command::Record(args) => record::run(args),
        Command::History(args) => history::run(args),
        Command::Backfill(args) => backfill::run(args),
        Command::Trace(args) => trace::run(args),
    }
}
