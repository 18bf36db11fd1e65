//! `cb-mock-server`: the `mock-server` command line, built with this package so the benches can
//! start the server as a child process (`cargo bench` builds only this package's binaries).

fn main() -> std::process::ExitCode {
    mock_server::cli::main()
}
