//! The OpenAPI document against the real server: it is served, it names every
//! endpoint, and schemathesis (PyPI; `scripts/setup` installs it) generates
//! requests from it as a signed-in user of each role. No answer may be a 5xx,
//! and every answer must match the document: a documented status, content type
//! and schema.

use std::process::Command;
use tests::*;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

#[test]
fn the_document_is_served_and_names_every_endpoint() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::blocking::get(format!("{}/api/v1/openapi.json", server.url)).unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let doc: serde_json::Value = resp.json().unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Every route the router serves under /api/v1 is in the document.
    let router = std::fs::read_to_string(browser::workspace().join("sync-server/src/api.rs"))
        .unwrap()
        + &std::fs::read_to_string(browser::workspace().join("sync-server/src/admin.rs")).unwrap();
    let mut routes: Vec<String> = router
        .split(".route(")
        .skip(1)
        .filter_map(|r| r.split('"').nth(1).map(str::to_string))
        .filter(|r| r.starts_with("/api/v1/") && r != "/api/v1/openapi.json")
        .collect();
    routes.sort();
    routes.dedup();
    assert!(routes.len() >= 25, "{routes:?}");
    for r in &routes {
        assert!(
            doc["paths"].get(r).is_some(),
            "{r} is served but not in the OpenAPI document"
        );
    }
    // Errors name their body; authenticated endpoints name the bearer scheme.
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document_for_any_role() {
    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into());
    let hooks_dir = browser::workspace().join("tests");
    let mut roles = std::collections::BTreeSet::new();
    let mut failed = Vec::new();
    for role in shared::Role::ALL {
        // A fresh server per role: an admin's run adds and disables users, and
        // no run should depend on what another left behind.
        let mut seeded = Seeded::new();
        if *role == shared::Role::Group {
            // The group office and the second estate it reaches.
            seeded.add_group(false);
        }
        let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
        let user = seeded
            .summary
            .users
            .iter()
            .find(|u| u.role == *role)
            .expect("the demo has every role");
        roles.insert(*role);
        let token = login_token(&server.url, &user.name, &user.password);
        let schema = format!("{}/api/v1/openapi.json", server.url);
        // schemathesis keeps a cache in its working directory; keep it out of the repository.
        let scratch = tempfile::tempdir().unwrap();
        let out = Command::new("schemathesis")
            .current_dir(scratch.path())
            .args(["run", &schema, "--url", &server.url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", CHECKS])
            .args(["--max-examples", &examples, "--seed", "20261202"])
            .args(["--workers", "2", "--request-timeout", "60"])
            // Logging out would end the run's own session; logout is tested on its own.
            .args(["--exclude-path", "/api/v1/logout"])
            .args(["--suppress-health-check", "all"])
            .env("NO_COLOR", "1")
            .env("PYTHONPATH", &hooks_dir)
            .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
            .output()
            .expect("schemathesis runs (scripts/setup installs it)");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        println!(
            "== schemathesis as {} ({})\n{}",
            user.name,
            role.code(),
            tail(&text, 30)
        );
        if !out.status.success() {
            failed.push(format!("as {}:\n{}", user.name, tail(&text, 200)));
        }
        assert!(hostile::alive(&server.url), "the server is still up");
    }
    assert_eq!(roles.len(), shared::Role::ALL.len(), "every role ran");
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
