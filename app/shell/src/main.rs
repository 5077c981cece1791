//! The desktop app: everything is in the library, shared with the mobile entry point.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    shell_lib::run()
}
