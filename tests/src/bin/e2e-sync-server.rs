//! The sync server binary, built inside the test package so tests can start it as a process.
fn main() -> std::process::ExitCode {
    sync_server::cli::main()
}
