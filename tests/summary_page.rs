//! A bench's end, through a real Criterion on fake jobs: a run that saved results ends with the
//! summary page of every group in the Criterion directory, written by what every bench's `main`
//! calls last (`benches/common/mod.rs`), and its path as the last line; a run that saved nothing
//! writes none. Fake jobs report fake durations, so nothing here depends on the machine's speed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bench_common::{summary_after_run, summary_line};
use crate::util;
use concurrency_bench::bench_group::measure_jobs_then_record;
use concurrency_bench::criterion_args::{Baseline, CriterionArgs, Filter, Mode};
use concurrency_bench::output::{self, SideFiles};
use concurrency_bench::rounds::{Job, Plan, MIN_ITERS_PER_SAMPLE};
use concurrency_bench::strategy::Strategy;

/// One bench run in `home` with Criterion's command line `line` (as `cargo bench -- …` gives
/// it), measuring `group`'s `sequential` at 10 ms per iteration and `rayon` at 10 µs (an
/// impossible 1000× on any machine's cores) and recording their `cb-meta.json`; what the
/// bench's `main` then decides on: its arguments and how many benchmarks it measured.
fn bench_run(home: &Path, line: &[&str], group_id: &str) -> (CriterionArgs, usize) {
    let args = CriterionArgs::parse(line.iter().copied()).unwrap();
    let side_files = SideFiles {
        criterion_home: home.to_owned(),
        baselines: args.baseline_dirs(),
    };
    // What Criterion takes from the same command line.
    let mut criterion = criterion::Criterion::default()
        .output_directory(home)
        .without_plots();
    if let Filter::Regex(regex) = &args.filter {
        criterion = criterion.with_filter(regex.as_str());
    }
    if let Baseline::Save(name) = &args.baseline {
        criterion = criterion.save_baseline(name.clone());
    }
    if args.mode == Mode::Profile {
        criterion = criterion.profile_time(Some(Duration::from_millis(50)));
    }
    let plan = Plan {
        group: group_id.to_owned(),
        samples: 10,
        sample_target: Duration::from_millis(20),
        warm_up: Duration::from_millis(5),
        seed: 5,
        min_iters: MIN_ITERS_PER_SAMPLE,
        cpu_time: false,
        turns: None,
    };
    let per_iteration = [
        (Strategy::Sequential, Duration::from_millis(10)),
        (Strategy::Rayon, Duration::from_micros(10)),
    ];
    let jobs = per_iteration
        .iter()
        .map(|&(strategy, time)| Job::new(strategy.name(), move |iters| Ok(time * iters as u32)))
        .collect();
    let config = util::config(&[]);
    let record = |name: &str| {
        let strategy = per_iteration
            .iter()
            .find(|(s, _)| s.name() == name)
            .unwrap()
            .0;
        let meta = output::cpu_meta(group_id, strategy, &config, 20, 20);
        Ok(output::record_meta(&side_files, &meta)?)
    };
    let mut group = criterion.benchmark_group(group_id);
    group.nresamples(1000);
    let measured =
        measure_jobs_then_record(group, &args, &plan, &side_files, jobs, record).unwrap();
    (args, measured)
}

/// A fresh Criterion directory for `name`.
fn home(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("cb-summary-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (dir.clone(), dir.join("criterion"))
}

#[test]
fn a_run_that_saved_ends_with_the_page_of_every_group_in_the_directory() {
    let (dir, home) = home("saved");
    let (args, measured) = bench_run(&home, &["--bench"], "cpu/fib");
    assert_eq!(measured, 2);
    let first = summary_after_run(&args, measured, &home).unwrap().unwrap();
    // A later run of another bench, filtered to its own group: the page shows both groups.
    let (args, measured) = bench_run(
        &home,
        &["--bench", "sum_of_squares", "--save-baseline", "x"],
        "cpu/sum_of_squares",
    );
    assert_eq!(measured, 2);
    let page = summary_after_run(&args, measured, &home).unwrap().unwrap();
    assert_eq!(page.index, home.join("summary").join("index.html"));
    assert_eq!(page.index, first.index);
    let html = std::fs::read_to_string(&page.index).unwrap();
    for group in ["cpu/fib", "cpu/sum_of_squares"] {
        assert!(html.contains(group), "the page names {group}");
    }
    for file in ["summary.md", "summary.json"] {
        assert!(home.join("summary").join(file).is_file(), "{file}");
    }
    assert_eq!(
        summary_line(&home, &page),
        format!(
            "summary of every group in {}: {}",
            home.display(),
            page.index.display()
        ),
        "absolute paths (the temporary directory's are)"
    );
    // rayon 1000× faster than sequential: no cores allow it, the page says so, and so does the
    // warning the bench prints before the page's path.
    assert_eq!(page.warnings.len(), 2, "{:?}", page.warnings);
    assert!(
        page.warnings.iter().all(|w| w.contains("rayon")),
        "{:?}",
        page.warnings
    );

    // A corrupt file in the directory: the one line names it, status 1, and the page is left
    // as it was.
    let estimates = home.join("cpu_fib/rayon/new/estimates.json");
    std::fs::write(&estimates, "{").unwrap();
    let error = summary_after_run(&args, measured, &home).unwrap_err();
    assert_eq!(error.exit_code(), 1);
    let line = error.to_string();
    let expected = format!("summary not written: {}: ", estimates.display());
    assert!(line.starts_with(&expected), "{line}");
    assert!(!line.contains('\n'), "{line}");
    assert_eq!(std::fs::read_to_string(&page.index).unwrap(), html);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_that_saved_nothing_writes_no_page() {
    let (dir, home) = home("nothing");
    // An earlier run's results are there: a page could be written, but these runs add nothing.
    bench_run(&home, &["--bench", "--save-baseline", "x"], "cpu/fib");
    for (line, ran) in [
        (&["--bench", "^io/"][..], 0),
        (&["--bench", "--profile-time", "1"][..], 2),
    ] {
        let (args, measured) = bench_run(&home, line, "cpu/fib");
        assert_eq!(measured, ran, "{line:?}");
        let page = summary_after_run(&args, measured, &home).unwrap();
        assert_eq!(page, None, "{line:?}");
    }
    assert!(!home.join("summary").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
