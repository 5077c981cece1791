//! Tidy checks that keep the docs and the code honest.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn architecture_md_shows_the_role_policy_the_code_enforces() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let table = shared::policy::markdown_table();
    assert!(
        doc.contains(&table),
        "ARCHITECTURE.md must contain exactly this table:\n{table}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && !name.starts_with("target-") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_says_what_lives_there() {
    let mut files = Vec::new();
    for crate_dir in ["shared", "app", "sync-server", "tests"] {
        rust_files(&root().join(crate_dir), &mut files);
    }
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` line: {missing:?}"
    );
}
