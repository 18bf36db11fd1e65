//! `cb-config`: prints the configuration the benchmarks would run with, and why.
//!
//! `cargo run --bin cb-config` with the same `CB_*` variables as `cargo bench` shows each
//! variable's effective value, or the same one-line error (exit 2) the benches would give.

use std::process::ExitCode;

use concurrency_bench::config::Config;
use concurrency_bench::error::Error;

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            let error = Error::from(error);
            eprintln!("concurrency-bench: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    for (variable, value) in config.values() {
        let source = match std::env::var(variable.name) {
            Ok(raw) if !raw.trim().is_empty() => "from the environment".to_owned(),
            // A default the value does not say itself ("available cores", "from the clock").
            _ if variable.default != value => format!("default: {}", variable.default),
            _ => "default".to_owned(),
        };
        // The meaning is Markdown (the README's table shows it too): plain text here.
        let meaning = variable.meaning.replace('`', "");
        println!("{}={value}\t({source}; {meaning})", variable.name);
    }
    ExitCode::SUCCESS
}
