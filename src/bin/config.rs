//! `cb-config`: prints the configuration the benchmarks would run with, and why.
//!
//! `cargo run --bin cb-config` with the same `CB_*` variables as `cargo bench` shows each
//! variable's effective value, or the same one-line error (exit 2) the benches would give.

use concurrency_bench::config::{Config, VARIABLES};

fn main() {
    let config = Config::from_env_or_exit();
    let values = [
        config.cpu_start.to_string(),
        config.cpu_count.to_string(),
        config.fib_n.to_string(),
        config.workers.to_string(),
        config.processes.to_string(),
    ];
    for (variable, value) in VARIABLES.iter().zip(values) {
        let source = match std::env::var(variable.name) {
            Ok(raw) if !raw.trim().is_empty() => "from the environment",
            _ => "default",
        };
        println!("{}={value}\t({source}; {})", variable.name, variable.meaning);
    }
}
