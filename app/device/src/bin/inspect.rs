//! `inspect`: the device CLI.
fn main() -> std::process::ExitCode {
    device::cli::main()
}
