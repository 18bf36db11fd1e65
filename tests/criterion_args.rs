//! The bench's command line read as Criterion 0.8.2 reads it: which benchmarks run, in which
//! mode, and which baseline directories get the side files.

use std::path::{Path, PathBuf};

use concurrency_bench::criterion_args::{Baseline, CriterionArgs, Mode};
use concurrency_bench::output::SideFiles;

fn parse(line: &str) -> CriterionArgs {
    CriterionArgs::parse(line.split_whitespace()).unwrap_or_else(|error| panic!("{line}: {error}"))
}

/// The benchmark ids of the CPU bench.
const IDS: [&str; 4] = [
    "cpu/sum_of_squares/sequential",
    "cpu/sum_of_squares/rayon",
    "cpu/fib/sequential",
    "cpu/fib/rayon",
];

fn selected(line: &str) -> Vec<&'static str> {
    let args = parse(line);
    IDS.into_iter().filter(|id| args.selects(id)).collect()
}

#[test]
fn cargo_bench_measures_everything_and_saves_new_and_base() {
    let args = parse("--bench");
    assert_eq!(args.mode, Mode::Benchmark);
    assert!(args.interleaves());
    assert_eq!(selected("--bench"), IDS);
    assert_eq!(args.baseline, Baseline::Save("base".to_owned()));
    assert_eq!(args.baseline_dirs(), ["new", "base"]);
}

#[test]
fn the_filter_is_a_regex_matched_anywhere_in_the_full_id() {
    assert_eq!(
        selected("--bench fib/rayon"),
        ["cpu/fib/rayon"],
        "a substring of group/function"
    );
    assert_eq!(
        selected("--bench ^cpu/fib"),
        ["cpu/fib/sequential", "cpu/fib/rayon"]
    );
    assert_eq!(
        selected("--bench sum_of_squares/(sequential|rayon)$"),
        ["cpu/sum_of_squares/sequential", "cpu/sum_of_squares/rayon"]
    );
    assert_eq!(selected("--bench io/"), Vec::<&str>::new());
}

#[test]
fn exact_matches_the_whole_id_only() {
    assert_eq!(selected("--bench --exact cpu/fib/rayon"), ["cpu/fib/rayon"]);
    assert_eq!(selected("--bench --exact fib/rayon"), Vec::<&str>::new());
    assert_eq!(selected("--bench --exact cpu/fib"), Vec::<&str>::new());
}

#[test]
fn ignored_rejects_everything() {
    assert_eq!(selected("--bench --ignored fib"), Vec::<&str>::new());
}

#[test]
fn values_of_options_are_not_filters() {
    for line in [
        "--bench --save-baseline fib",
        "--bench -s fib",
        "--bench -sfib",
        "--bench -s=fib",
        "--bench --baseline fib",
        "--bench -b fib",
        "--bench --color never",
        "--bench -c never",
        "--bench --measurement-time 3",
        "--bench --warm-up-time 1 --sample-size 10",
        "--bench --nresamples 1000 --noise-threshold 0.02",
        "--bench --confidence-level 0.9 --significance-level 0.01",
        "--bench --plotting-backend plotters --output-format bencher",
        "--bench --format terse",
        "--bench --baseline-lenient fib",
        "--bench -vns fib",
    ] {
        assert_eq!(selected(line), IDS, "{line}");
    }
    // A value given with '=' leaves the next argument positional: the filter.
    assert_eq!(
        selected("--bench --save-baseline=x fib/rayon"),
        ["cpu/fib/rayon"]
    );
    assert_eq!(selected("--bench -s x fib/rayon"), ["cpu/fib/rayon"]);
    // After `--`, even an option-like word is the filter.
    assert_eq!(selected("--bench -- --exact"), Vec::<&str>::new());
}

#[test]
fn modes_follow_criterion() {
    assert_eq!(parse("--bench --test").mode, Mode::Test);
    assert_eq!(
        parse("").mode,
        Mode::Test,
        "no --bench: cargo test --benches"
    );
    assert_eq!(parse("fib").mode, Mode::Test);
    assert_eq!(parse("--bench --list").mode, Mode::List);
    assert_eq!(parse("--list").mode, Mode::List);
    assert_eq!(parse("--bench --profile-time 5").mode, Mode::Profile);
    assert_eq!(parse("--bench --profile-time=5 fib").mode, Mode::Profile);
    for line in [
        "--bench --test",
        "--bench --list",
        "--bench --profile-time 5",
        "",
    ] {
        let args = parse(line);
        assert!(!args.measures() && !args.interleaves(), "{line}");
        assert!(args.baseline_dirs().is_empty(), "{line}: no side files");
    }
    let quick = parse("--bench --quick");
    assert!(quick.measures() && !quick.interleaves(), "--quick is live");
    assert_eq!(quick.baseline_dirs(), ["new", "base"]);
}

#[test]
fn baselines_follow_criterion() {
    let dirs = |line: &str| parse(line).baseline_dirs();
    assert_eq!(dirs("--bench --save-baseline x"), ["new", "x"]);
    assert_eq!(dirs("--bench -s main fib"), ["new", "main"]);
    assert_eq!(dirs("--bench --save-baseline new"), ["new"]);
    assert_eq!(
        dirs("--bench --baseline before"),
        ["new"],
        "compares without saving"
    );
    assert_eq!(dirs("--bench --baseline-lenient before"), ["new"]);
    assert_eq!(
        dirs("--bench --discard-baseline"),
        Vec::<String>::new(),
        "Criterion saves nothing"
    );
    let load = parse("--bench --baseline a --load-baseline b");
    assert_eq!(load.load_baseline.as_deref(), Some("b"));
    assert!(!load.measures(), "analyses saved samples, measures nothing");
    assert!(load.baseline_dirs().is_empty());
    assert_eq!(
        parse("--bench --baseline before").baseline,
        Baseline::CompareStrict("before".to_owned())
    );
}

#[test]
fn a_summary_follows_only_a_run_that_saved_what_it_measured() {
    for line in [
        "--bench",
        "--bench --save-baseline x",
        "--bench -s main fib",
        "--bench --baseline before",
        "--bench --quick",
    ] {
        assert!(parse(line).saved_results(1), "{line}: saved");
    }
    for line in [
        "--bench --list",
        "--bench --test",
        "",
        "--bench --profile-time 2",
        "--bench --discard-baseline",
        "--bench --baseline a --load-baseline b",
    ] {
        assert!(!parse(line).saved_results(3), "{line}: nothing saved");
    }
    let mut cargo_criterion = parse("--bench");
    cargo_criterion.cargo_criterion = true;
    assert!(!cargo_criterion.saved_results(3), "cargo-criterion saves");
    // A filter that selects nothing in this bench (`cargo bench -- io/` runs the cpu bench
    // too): nothing measured, so the groups an earlier run left are no reason to write.
    assert!(!parse("--bench io/").saved_results(0));
    assert!(!parse("--bench").saved_results(0));
}

#[test]
fn side_files_go_into_each_baseline_directory() {
    let home = Path::new("/t/criterion");
    let side_files = |line: &str| SideFiles {
        criterion_home: home.to_owned(),
        baselines: parse(line).baseline_dirs(),
    };
    let run = side_files("--bench --save-baseline x");
    assert_eq!(
        run.benchmark_dirs("cpu/sum_of_squares", "rayon", None),
        [
            PathBuf::from("/t/criterion/cpu_sum_of_squares/rayon/new"),
            PathBuf::from("/t/criterion/cpu_sum_of_squares/rayon/x"),
        ]
    );
    assert_eq!(
        run.benchmark_dirs("sweep/io_workers", "thread_pool", Some(40)),
        [
            PathBuf::from("/t/criterion/sweep_io_workers/thread_pool/40/new"),
            PathBuf::from("/t/criterion/sweep_io_workers/thread_pool/40/x"),
        ]
    );
    assert_eq!(
        run.group_dirs("io/download"),
        [
            PathBuf::from("/t/criterion/io_download/new"),
            PathBuf::from("/t/criterion/io_download/x"),
        ]
    );
    assert_eq!(
        side_files("--bench --baseline x").group_dirs("cpu/fib"),
        [PathBuf::from("/t/criterion/cpu_fib/new")]
    );
    for line in [
        "--bench --test",
        "--bench --list",
        "--bench --profile-time 2",
    ] {
        let none = side_files(line);
        assert!(none.is_empty(), "{line}");
        assert!(none.benchmark_dirs("cpu/fib", "rayon", None).is_empty());
    }
}

#[test]
fn a_command_line_criterion_would_refuse_is_an_error_not_a_guess() {
    for line in [
        "--bench --no-such-option",
        "--bench -z",
        "--bench --save-baseline",
        "--bench one two",
        "--bench (unclosed",
    ] {
        let error = CriterionArgs::parse(line.split_whitespace()).unwrap_err();
        assert!(!error.to_string().contains('\n'), "{error}");
    }
}
