//! The CPython side (`benches/python/`, `src/extra_benches/python.rs`): every tutorial program really
//! downloads from the embedded server and computes, every result is checked, and a missing
//! interpreter or package is one line naming the install command.
//!
//! These tests need CPython 3. When the default `python3` lacks the pinned packages, they are
//! installed once into a virtual environment under Cargo's target directory (as
//! `python3 -m pip install -r benches/python/requirements.txt` would), so the tests pass on a
//! fresh machine without touching its Python.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use concurrency_bench::config::Config;
use concurrency_bench::extra_benches::python::{
    self, Interpreter, Program, CPU_PROGRAMS, INSTALL, IO_PROGRAMS,
};
use concurrency_bench::matrix::IoMatrix;
use concurrency_bench::strategy::Kind;
use concurrency_bench::workload::cpu::CpuWorkload;
use concurrency_bench::workload::io::IoWorkload;

use crate::util::WORKER;

/// A CPython with the pinned packages: `python3` when it has them, else a virtual
/// environment made once for these tests.
fn python_with_requirements() -> String {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let has_packages = Command::new("python3")
                .args(["-c", "import requests, aiohttp"])
                .output()
                .is_ok_and(|output| output.status.success());
            if has_packages {
                return "python3".to_owned();
            }
            let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
            let python = venv.join("bin/python3");
            if !python.exists() {
                run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
            }
            let requirements = Path::new(python::PROGRAMS_DIR).join("requirements.txt");
            run(Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(requirements));
            python.to_string_lossy().into_owned()
        })
        .clone()
}

fn run(command: &mut Command) {
    let status = command.status().expect("python3 runs");
    assert!(status.success(), "{command:?}: {status}");
}

use crate::util::config;

/// Small sizes: 6 downloads at 2 ms, sums up to 3,000, fib(12); 3 threads, 2 processes.
fn small() -> Config {
    python::sized_for_python(&config(&[
        ("CB_SITES", "6"),
        ("CB_LATENCY_MS", "2"),
        ("CB_WORKERS", "3"),
        ("CB_PROCESSES", "2"),
        ("CB_CPU_COUNT", "4"),
        ("CB_PY_CPU_START", "3000"),
        ("CB_PY_FIB_N", "12"),
    ]))
}

/// One interpreter at a time: each starts its own process pools.
fn interpreter_for(
    config: &Config,
    downloads: &IoWorkload,
) -> (Interpreter, std::sync::MutexGuard<'static, ()>) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut interpreter = Interpreter::start(&python_with_requirements()).unwrap();
    interpreter
        .setup(config, downloads, &CpuWorkload::all(config))
        .unwrap();
    (interpreter, guard)
}

#[test]
fn every_program_file_exists_and_every_counterpart_is_measured_beside_it() {
    for program in IO_PROGRAMS.iter().chain(&CPU_PROGRAMS) {
        let prefix = match program.kind {
            Kind::Io => "io",
            Kind::Cpu => "cpu",
        };
        let file = Path::new(python::PROGRAMS_DIR).join(format!("{prefix}_{}.py", program.name));
        assert!(file.is_file(), "{} has no {}", program.name, file.display());
        let beside = match program.kind {
            Kind::Io => &python::IO_STRATEGIES[..],
            Kind::Cpu => &python::CPU_STRATEGIES[..],
        };
        assert!(beside.contains(&program.counterpart), "{}", program.name);
    }
}

#[test]
fn every_download_program_makes_every_request_and_checks_every_body() {
    let config = small();
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let downloads = matrix.workload();
    let (mut interpreter, _one) = interpreter_for(&config, &downloads);
    assert!(
        interpreter.description.starts_with("CPython 3."),
        "{}",
        interpreter.description
    );
    for program in &IO_PROGRAMS {
        let before = matrix.server().fault_counts().unwrap().unwrap();
        let elapsed = interpreter.measure(program, "download", 2).unwrap();
        let after = matrix.server().fault_counts().unwrap().unwrap();
        // Two calls of 6 downloads each: the server answered 12 page requests, no more.
        assert_eq!(after.ok - before.ok, 12, "{}", program.name);
        // Each call waits at least one latency (2 ms) for its first response.
        assert!(
            elapsed.as_secs_f64() >= 2.0 * 0.002,
            "{}: {elapsed:?}",
            program.name
        );
    }
}

#[test]
fn a_body_with_one_wrong_byte_stops_every_download_program_naming_the_url() {
    let config = small();
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let right = matrix.workload();
    let wrong_byte = |page: concurrency_bench::workload::io::Page| {
        let expected = right.jobs.iter().find(|job| job.page == page).unwrap();
        let concurrency_bench::workload::io::Expect::Body { bytes, .. } = &expected.expect else {
            panic!("the embedded server's pages are known");
        };
        let mut bytes = bytes.to_vec();
        bytes[17] ^= 1;
        Arc::<[u8]>::from(bytes)
    };
    let downloads = IoWorkload::new(matrix.base_url(), 4, Some(&wrong_byte));
    let (mut interpreter, _one) = interpreter_for(&config, &downloads);
    for program in &IO_PROGRAMS {
        let error = interpreter
            .measure(program, "download", 1)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("wrong byte at offset 17") && error.contains(matrix.base_url()),
            "{}: {error}",
            program.name
        );
        assert!(!error.contains('\n'), "{error}");
    }
}

#[test]
fn every_cpu_program_computes_both_kernels_exactly() {
    let config = small();
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let (mut interpreter, _one) = interpreter_for(&config, &matrix.workload());
    for program in &CPU_PROGRAMS {
        for kernel in ["sum_of_squares", "fib"] {
            let elapsed = interpreter.measure(program, kernel, 1).unwrap();
            assert!(!elapsed.is_zero(), "{} {kernel}", program.name);
        }
    }
    let program = Program {
        name: "no_such_program",
        ..CPU_PROGRAMS[0]
    };
    let error = interpreter
        .measure(&program, "fib", 1)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no_such_program"), "{error}");
}

#[test]
fn a_python_without_the_packages_is_one_line_naming_the_install_command() {
    // `python3 -S` does not look in site-packages: neither requests nor aiohttp imports.
    let wrapper = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python3-without-site");
    std::fs::write(&wrapper, "#!/bin/sh\nexec python3 -S \"$@\"\n").unwrap();
    let mut permissions = std::fs::metadata(&wrapper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&wrapper, permissions).unwrap();
    let error = Interpreter::start(wrapper.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("requests, aiohttp") && error.contains(INSTALL),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");
}

#[test]
fn a_missing_interpreter_is_one_line_naming_the_install_command() {
    let error = Interpreter::start("/nonexistent/python3")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("/nonexistent/python3") && error.contains("CB_PYTHON"),
        "{error}"
    );
    assert!(error.contains(INSTALL) && !error.contains('\n'), "{error}");
}
