//! One machine code per kernel, wherever it runs: every optimized executable that runs a CPU
//! kernel holds exactly one copy of each kernel function, at a 64-byte-aligned address, with the
//! same bytes as every other executable's copy.
//!
//! Before this held, each strategy ran its own inlined copy of the loop wherever the linker put
//! it, and `cb-worker`'s `fib` (64-byte aligned) ran 16% faster than the bench binary's (16 bytes
//! past): the summary reported 2.3× on 2 cores. The bench executables are built (or found fresh)
//! by `cargo bench --no-run`; the test is ignored in debug builds, where nothing is measured.
//! CI runs it with `cargo test --release --test main kernel_layout::`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;
use concurrency_bench::workload::cpu::{KERNEL_ALIGNMENT, KERNEL_SYMBOLS};
use object::{Object, ObjectSection, ObjectSymbol};

/// The alignment `.cargo/config.toml` pins (`-align-all-functions=6`: 2^6 bytes).
const ALIGNMENT: u64 = KERNEL_ALIGNMENT as u64;

/// The bench targets that run CPU kernels (`io` downloads only).
const CPU_BENCHES: [&str; 3] = ["cpu", "sweeps", "python"];

/// One kernel's copy in one executable.
#[derive(Debug)]
struct Copy {
    address: u64,
    bytes: Vec<u8>,
}

/// The bench executables of `CPU_BENCHES`, from cargo's JSON messages (built if stale).
fn bench_executables() -> Vec<PathBuf> {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["bench", "--no-run", "--message-format=json", "-p"])
        .arg(env!("CARGO_PKG_NAME"));
    for bench in CPU_BENCHES {
        command.args(["--bench", bench]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo bench --no-run failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let executables: Vec<PathBuf> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| {
            let kinds = message["target"]["kind"].as_array();
            kinds.is_some_and(|kinds| kinds.iter().any(|kind| kind == "bench"))
        })
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .collect();
    assert_eq!(
        executables.len(),
        CPU_BENCHES.len(),
        "expected one executable per bench in {CPU_BENCHES:?}, got {executables:?}"
    );
    executables
}

/// Every copy of each kernel in `path`, by kernel path (`concurrency_bench::workload::cpu::fib`).
fn kernel_copies(path: &Path) -> BTreeMap<&'static str, Vec<Copy>> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = object::File::parse(&*data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut copies: BTreeMap<&'static str, Vec<Copy>> = BTreeMap::new();
    // Symbol tables can list one address twice (a global and a local alias): one copy each.
    let mut seen = std::collections::BTreeSet::new();
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        // `{:#}` drops the hash suffix (legacy) or the crate disambiguator (v0).
        let demangled = format!("{:#}", rustc_demangle::demangle(name));
        // LLVM names a clone of a function `<name>.specialized.1` and the like: count those as
        // copies too, so a kernel specialised for one caller is caught.
        let is_copy_of = |kernel: &str| {
            demangled == kernel
                || demangled
                    .strip_prefix(kernel)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        let Some(&kernel) = KERNEL_SYMBOLS.iter().find(|&&k| is_copy_of(k)) else {
            continue;
        };
        if !seen.insert((kernel, symbol.address())) {
            continue;
        }
        let section = symbol
            .section_index()
            .and_then(|index| file.section_by_index(index).ok())
            .unwrap_or_else(|| panic!("{}: {kernel} has no section", path.display()));
        let size = if symbol.size() > 0 {
            symbol.size()
        } else {
            size_to_next_symbol(&file, symbol.address())
        };
        let bytes = section
            .data_range(symbol.address(), size)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{}: cannot read {kernel}'s bytes", path.display()))
            .to_vec();
        copies.entry(kernel).or_default().push(Copy {
            address: symbol.address(),
            bytes,
        });
    }
    copies
}

/// Formats without symbol sizes (Mach-O): a function ends where the next symbol starts.
fn size_to_next_symbol(file: &object::File<'_>, address: u64) -> u64 {
    file.symbols()
        .map(|s| s.address())
        .filter(|&a| a > address)
        .min()
        .map_or(0, |next| next - address)
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "checks the optimized executables: run with --release"
)]
fn every_executable_runs_the_same_aligned_kernel_code() {
    let mut executables = bench_executables();
    executables.push(PathBuf::from(util::WORKER));

    let mut reference: BTreeMap<&str, (PathBuf, Vec<u8>)> = BTreeMap::new();
    for exe in &executables {
        let copies = kernel_copies(exe);
        for kernel in KERNEL_SYMBOLS {
            let found = copies.get(kernel).map_or(&[][..], Vec::as_slice);
            assert_eq!(
                found.len(),
                1,
                "{}: {} copies of {kernel} (inlined or duplicated?), want exactly one",
                exe.display(),
                found.len()
            );
            let copy = &found[0];
            println!(
                "{}: {kernel} at {:#x} ({} bytes)",
                exe.file_name().unwrap().to_string_lossy(),
                copy.address,
                copy.bytes.len()
            );
            assert_eq!(
                copy.address % ALIGNMENT,
                0,
                "{}: {kernel} at {:#x}, not {ALIGNMENT}-byte aligned: are .cargo/config.toml's \
                 rustflags replaced by RUSTFLAGS?",
                exe.display(),
                copy.address
            );
            assert!(
                !copy.bytes.is_empty(),
                "{}: {kernel} is empty",
                exe.display()
            );
            match reference.get(kernel) {
                None => {
                    reference.insert(kernel, (exe.clone(), copy.bytes.clone()));
                }
                Some((first, bytes)) => assert!(
                    *bytes == copy.bytes,
                    "{kernel}: {} and {} hold different machine code ({} vs {} bytes)",
                    first.display(),
                    exe.display(),
                    bytes.len(),
                    copy.bytes.len()
                ),
            }
        }
    }
    assert_eq!(reference.len(), KERNEL_SYMBOLS.len());
}
