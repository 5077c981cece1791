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

#[test]
fn architecture_md_shows_the_action_table_the_code_enforces() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let table = shared::policy::actions_markdown_table();
    assert!(
        doc.contains(&table),
        "ARCHITECTURE.md must contain exactly this table:\n{table}"
    );
}

#[test]
fn readme_lists_every_limit_the_code_enforces() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = shared::limits::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md must contain exactly this table:\n{table}"
    );
    // And the table lists every constant of the module.
    let src = std::fs::read_to_string(root().join("shared/src/limits.rs")).unwrap();
    let consts: Vec<&str> = src
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split(':').next())
        .filter(|n| *n != "ALL")
        .collect();
    let listed: Vec<&str> = shared::limits::ALL.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(consts, listed, "limits::ALL lists every limit, in order");
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

/// String literals in `src` that look like message keys (`area.name`).
fn key_literals(src: &str) -> Vec<String> {
    src.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            let mut parts = s.split('.');
            matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
                if !a.is_empty() && !b.is_empty()
                    && s.bytes().all(|c| c.is_ascii_lowercase() || c == b'_' || c == b'.'))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_label_the_ui_uses_is_in_the_message_catalogue() {
    let ui = root().join("app/ui/src");
    let catalogue = std::fs::read_to_string(ui.join("i18n.rs")).unwrap();
    let known: std::collections::HashSet<String> = key_literals(&catalogue).into_iter().collect();
    assert!(known.len() > 50, "catalogue parsed: {} keys", known.len());
    let mut files = Vec::new();
    rust_files(&ui, &mut files);
    let mut missing = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("i18n.rs")) {
        for key in key_literals(&std::fs::read_to_string(f).unwrap()) {
            // Storage keys and file names, not labels.
            if !key.starts_with("patrol.") && !key.ends_with(".csv") && !known.contains(&key) {
                missing.push(format!("{}: {key}", f.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "labels missing from i18n.rs: {missing:?}"
    );
}
