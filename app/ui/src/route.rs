//! Every screen has an address (`#/issues/…`, `#/plan`): the browser's Back
//! and reload work, and a link to an issue can be sent to a colleague. Hash
//! addresses work the same in the Tauri webview and on the dashboard, and the
//! server needs no route per screen. A screen's own state that should survive
//! Back (the issue list's filters) lives in the address's query.

use crate::Page;
use shared::ids::{IssueId, PatrolRunId};

use shared::app::{query_pairs, url_escape as escape, url_unescape as unescape};

impl Page {
    /// The address of this screen (`#/…`).
    pub fn path(&self) -> String {
        match self {
            Page::Tasks => "#/tasks".into(),
            Page::Walk { route } => format!("#/walk/{}", escape(route)),
            Page::Checkpoint { route, code } => {
                format!("#/walk/{}/{}", escape(route), escape(code))
            }
            Page::Raise {
                route,
                checkpoint,
                items,
            } => {
                let mut q = Vec::new();
                if let Some(r) = route {
                    q.push(format!("route={}", escape(r)));
                }
                if !items.is_empty() {
                    q.push(format!("items={}", escape(&items.join(","))));
                }
                let q = if q.is_empty() {
                    String::new()
                } else {
                    format!("?{}", q.join("&"))
                };
                format!("#/raise/{}{q}", escape(checkpoint))
            }
            Page::Issues => "#/issues".into(),
            Page::Issue { id } => format!("#/issues/{id}"),
            Page::Plan => "#/plan".into(),
            Page::Patrols => "#/patrols".into(),
            Page::Patrol { id } => format!("#/patrols/{id}"),
            Page::Coverage => "#/coverage".into(),
            Page::Analytics => "#/analytics".into(),
            Page::AnalyticsIssues { query } => format!("#/analytics/issues?{query}"),
            Page::Notifications => "#/notifications".into(),
            Page::Ledger => "#/ledger".into(),
            Page::RootCauses => "#/root-causes".into(),
            Page::Callbacks => "#/callbacks".into(),
            Page::NewComplaint => "#/complaints/new".into(),
            Page::Surveys => "#/surveys".into(),
            Page::Equipment => "#/equipment".into(),
        }
    }

    /// The screen at an address; none for an address that names no screen.
    pub fn parse(hash: &str) -> Option<Page> {
        let rest = hash.strip_prefix('#').unwrap_or(hash);
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(unescape)
            .collect();
        let q = query_pairs(query);
        let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        Some(match parts.as_slice() {
            ["tasks"] => Page::Tasks,
            ["walk", route] => Page::Walk {
                route: route.to_string(),
            },
            ["walk", route, code] => Page::Checkpoint {
                route: route.to_string(),
                code: code.to_string(),
            },
            ["raise", checkpoint] => Page::Raise {
                route: get("route").filter(|r| !r.is_empty()),
                checkpoint: checkpoint.to_string(),
                items: get("items")
                    .map(|i| {
                        i.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            ["issues"] => Page::Issues,
            ["issues", id] => Page::Issue {
                id: id.parse::<IssueId>().ok()?,
            },
            ["plan"] => Page::Plan,
            ["patrols"] => Page::Patrols,
            ["patrols", id] => Page::Patrol {
                id: id.parse::<PatrolRunId>().ok()?,
            },
            ["coverage"] => Page::Coverage,
            ["analytics"] => Page::Analytics,
            ["analytics", "issues"] => Page::AnalyticsIssues {
                query: query.to_string(),
            },
            ["notifications"] => Page::Notifications,
            ["ledger"] => Page::Ledger,
            ["root-causes"] => Page::RootCauses,
            ["callbacks"] => Page::Callbacks,
            ["complaints", "new"] => Page::NewComplaint,
            ["surveys"] => Page::Surveys,
            ["equipment"] => Page::Equipment,
            _ => return None,
        })
    }
}

/// The address the browser shows now (`#/…`), empty when none.
pub fn current() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The query part of the current address (after `?`).
pub fn current_query() -> String {
    current()
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
}

/// Goes to `path` as a new entry of the browser's history (Back returns).
pub fn push(path: &str) {
    if current() == path {
        return;
    }
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// Changes the current address without a new history entry (a filter changed).
pub fn replace(path: &str) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_reads_back_from_its_address() {
        let id = IssueId::from_uuid(uuid::Uuid::from_u128(7));
        let run = PatrolRunId::from_uuid(uuid::Uuid::from_u128(8));
        for p in [
            Page::Tasks,
            Page::Walk { route: "R1".into() },
            Page::Checkpoint {
                route: "R 1/东".into(),
                code: "CP-R01".into(),
            },
            Page::Raise {
                route: Some("R1".into()),
                checkpoint: "CP-R01".into(),
                items: vec!["floor".into(), "wall".into()],
            },
            Page::Raise {
                route: None,
                checkpoint: "CP-R01".into(),
                items: vec![],
            },
            Page::Issues,
            Page::Issue { id },
            Page::Plan,
            Page::Patrols,
            Page::Patrol { id: run },
            Page::Coverage,
            Page::Analytics,
            Page::AnalyticsIssues {
                query: "period=2026-11&kpi=on_time_rectification&part=rest&by=zone&key=Z%2001"
                    .into(),
            },
            Page::Notifications,
            Page::RootCauses,
            Page::Callbacks,
            Page::NewComplaint,
            Page::Surveys,
            Page::Equipment,
        ] {
            assert_eq!(Page::parse(&p.path()), Some(p.clone()), "{}", p.path());
        }
        assert_eq!(Page::parse("#/issues?status=assigned"), Some(Page::Issues));
        assert_eq!(Page::parse("#/nowhere"), None);
        assert_eq!(Page::parse("#/issues/not-an-id"), None);
        assert_eq!(unescape(&escape("东区 R1&x=1")), "东区 R1&x=1");
    }
}
