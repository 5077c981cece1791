//! `sync-server`: serve devices and the dashboard, seed demo data, administer users.
fn main() -> std::process::ExitCode {
    sync_server::cli::main()
}
