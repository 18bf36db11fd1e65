//! `mock-server`: serves the tutorial's two pages with a chosen latency (see `--help`).

fn main() -> std::process::ExitCode {
    mock_server::cli::main()
}
