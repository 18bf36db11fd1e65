//! `cb-config`: prints the configuration the benchmarks would run with, and why.
//!
//! `cargo run --bin cb-config` with the same `CB_*` variables as `cargo bench` shows each
//! variable's effective value, or the same one-line error (exit 2) the benches would give.

use concurrency_bench::config::Config;

fn main() {
    let config = Config::from_env_or_exit();
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
}
