//! Every limit the sync server enforces, in one place.
//!
//! Devices read the same numbers so that an honest device never produces what
//! the server would refuse. README's "Limits" table is a copy of this list and a
//! tidy test keeps the two in step.

/// Bytes of one sync request body.
pub const SYNC_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Documents in one sync request.
pub const DOCS_PER_REQUEST: usize = 1000;
/// Documents answered in one sync response; the rest follow with `more`.
pub const DOCS_PER_RESPONSE: usize = 1000;
/// Changes carried for one document in one sync message.
pub const CHANGES_PER_DOC: usize = 1000;
/// Operations in one change.
pub const OPS_PER_CHANGE: usize = 20_000;
/// Operations in all changes of one request.
pub const OPS_PER_REQUEST: usize = 500_000;
/// Uncompressed bytes of one change (a compressed chunk is measured after inflating).
pub const CHANGE_BYTES: usize = 2 * 1024 * 1024;
/// Uncompressed bytes of all changes of one request.
pub const CHANGE_BYTES_PER_REQUEST: usize = 64 * 1024 * 1024;
/// Bytes of one stored document (uncompressed save) after a change is merged.
pub const DOC_BYTES: usize = 8 * 1024 * 1024;
/// Nesting depth of a document's maps and lists (the schema needs 6).
pub const DOC_DEPTH: usize = 12;
/// Events in one issue document.
pub const EVENTS_PER_ISSUE: usize = 2000;
/// Results in one patrol run.
pub const RESULTS_PER_PATROL: usize = 5000;
/// How far ahead of everything it has seen a new event's Lamport number may be.
pub const LAMPORT_STEP: u64 = 1;
/// Bytes of documents the server keeps parsed between rounds.
pub const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Characters of an issue title.
pub const TITLE_CHARS: usize = crate::text::TITLE_MAX;
/// Characters of a description, note, comment or call-back note.
pub const NOTE_CHARS: usize = crate::text::NOTE_MAX;
/// Characters of a person's name, a complaint's location or contact.
pub const NAME_CHARS: usize = crate::text::NAME_MAX;
/// Photos attached to one event (raise or rectify).
pub const PHOTOS_PER_EVENT: usize = crate::issue::MAX_PHOTOS_PER_EVENT;
/// Bytes of one stored photo.
pub const PHOTO_BYTES: u64 = crate::wire::MAX_PHOTO_BYTES;
/// Bytes of one upload chunk.
pub const UPLOAD_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Hours an unfinished upload is kept after its last chunk.
pub const PARTIAL_UPLOAD_HOURS: i64 = 24;

/// Failed logins for one user name within [`LOGIN_WINDOW_SECS`] before it is locked.
pub const LOGIN_FAILURES_PER_USER: u32 = 5;
/// Failed logins from one network address within [`LOGIN_WINDOW_SECS`] before it is locked.
pub const LOGIN_FAILURES_PER_ADDRESS: u32 = 50;
/// The window (and lockout) of the login failure counters, in seconds.
pub const LOGIN_WINDOW_SECS: i64 = 15 * 60;
/// Password checks running at once (each costs a core for tens of milliseconds).
pub const PASSWORD_CHECKS_AT_ONCE: usize = 1;
/// Days a login token lives.
pub const TOKEN_DAYS: i64 = 30;
/// Live logins (devices) one user may hold; the oldest is revoked past this.
pub const DEVICES_PER_USER: usize = 10;

/// Bytes of a JSON request body (dashboard and admin endpoints).
pub const JSON_BODY_BYTES: usize = 1024 * 1024;
/// Bytes of a CSV import body.
pub const IMPORT_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Issues in one list response.
pub const LIST_ROWS: usize = 1000;
/// Seconds a client may take to send a request's headers.
pub const HEADER_SECS: u64 = 10;
/// Seconds a request may take, body included, before it is cut off.
pub const REQUEST_SECS: u64 = 120;
/// Connections served at once; more wait in the listen queue.
pub const CONNECTIONS: usize = 1024;

/// Every limit: its name, its value and what it bounds (README's table).
pub const ALL: &[(&str, u64, &str)] = &[
    (
        "SYNC_BODY_BYTES",
        SYNC_BODY_BYTES as u64,
        "Bytes of one sync request body.",
    ),
    (
        "DOCS_PER_REQUEST",
        DOCS_PER_REQUEST as u64,
        "Documents in one sync request.",
    ),
    (
        "DOCS_PER_RESPONSE",
        DOCS_PER_RESPONSE as u64,
        "Documents answered in one sync response; the rest follow with `more`.",
    ),
    (
        "CHANGES_PER_DOC",
        CHANGES_PER_DOC as u64,
        "Changes carried for one document in one sync message.",
    ),
    (
        "OPS_PER_CHANGE",
        OPS_PER_CHANGE as u64,
        "Operations in one change.",
    ),
    (
        "OPS_PER_REQUEST",
        OPS_PER_REQUEST as u64,
        "Operations in all changes of one request.",
    ),
    (
        "CHANGE_BYTES",
        CHANGE_BYTES as u64,
        "Uncompressed bytes of one change (a compressed chunk is measured after inflating).",
    ),
    (
        "CHANGE_BYTES_PER_REQUEST",
        CHANGE_BYTES_PER_REQUEST as u64,
        "Uncompressed bytes of all changes of one request.",
    ),
    (
        "DOC_BYTES",
        DOC_BYTES as u64,
        "Bytes of one stored document (uncompressed save) after a change is merged.",
    ),
    (
        "DOC_DEPTH",
        DOC_DEPTH as u64,
        "Nesting depth of a document's maps and lists (the schema needs 6).",
    ),
    (
        "EVENTS_PER_ISSUE",
        EVENTS_PER_ISSUE as u64,
        "Events in one issue document.",
    ),
    (
        "RESULTS_PER_PATROL",
        RESULTS_PER_PATROL as u64,
        "Results in one patrol run.",
    ),
    (
        "LAMPORT_STEP",
        LAMPORT_STEP,
        "How far ahead of everything it has seen a new event's Lamport number may be.",
    ),
    (
        "CACHE_BYTES",
        CACHE_BYTES as u64,
        "Bytes of documents the server keeps parsed between rounds.",
    ),
    (
        "TITLE_CHARS",
        TITLE_CHARS as u64,
        "Characters of an issue title.",
    ),
    (
        "NOTE_CHARS",
        NOTE_CHARS as u64,
        "Characters of a description, note, comment or call-back note.",
    ),
    (
        "NAME_CHARS",
        NAME_CHARS as u64,
        "Characters of a person's name, a complaint's location or contact.",
    ),
    (
        "PHOTOS_PER_EVENT",
        PHOTOS_PER_EVENT as u64,
        "Photos attached to one event (raise or rectify).",
    ),
    ("PHOTO_BYTES", PHOTO_BYTES, "Bytes of one stored photo."),
    (
        "UPLOAD_CHUNK_BYTES",
        UPLOAD_CHUNK_BYTES as u64,
        "Bytes of one upload chunk.",
    ),
    (
        "PARTIAL_UPLOAD_HOURS",
        PARTIAL_UPLOAD_HOURS as u64,
        "Hours an unfinished upload is kept after its last chunk.",
    ),
    (
        "LOGIN_FAILURES_PER_USER",
        LOGIN_FAILURES_PER_USER as u64,
        "Failed logins for one user name within `LOGIN_WINDOW_SECS` before it is locked.",
    ),
    (
        "LOGIN_FAILURES_PER_ADDRESS",
        LOGIN_FAILURES_PER_ADDRESS as u64,
        "Failed logins from one network address within `LOGIN_WINDOW_SECS` before it is locked.",
    ),
    (
        "LOGIN_WINDOW_SECS",
        LOGIN_WINDOW_SECS as u64,
        "The window (and lockout) of the login failure counters, in seconds.",
    ),
    (
        "PASSWORD_CHECKS_AT_ONCE",
        PASSWORD_CHECKS_AT_ONCE as u64,
        "Password checks running at once (each costs a core for tens of milliseconds).",
    ),
    ("TOKEN_DAYS", TOKEN_DAYS as u64, "Days a login token lives."),
    (
        "DEVICES_PER_USER",
        DEVICES_PER_USER as u64,
        "Live logins (devices) one user may hold; the oldest is revoked past this.",
    ),
    (
        "JSON_BODY_BYTES",
        JSON_BODY_BYTES as u64,
        "Bytes of a JSON request body (dashboard and admin endpoints).",
    ),
    (
        "IMPORT_BODY_BYTES",
        IMPORT_BODY_BYTES as u64,
        "Bytes of a CSV import body.",
    ),
    (
        "LIST_ROWS",
        LIST_ROWS as u64,
        "Issues in one list response.",
    ),
    (
        "HEADER_SECS",
        HEADER_SECS,
        "Seconds a client may take to send a request's headers.",
    ),
    (
        "REQUEST_SECS",
        REQUEST_SECS,
        "Seconds a request may take, body included, before it is cut off.",
    ),
    (
        "CONNECTIONS",
        CONNECTIONS as u64,
        "Connections served at once; more wait in the listen queue.",
    ),
];

/// The limits as the Markdown table README shows (a tidy test keeps them equal).
pub fn markdown_table() -> String {
    let mut out = String::from("| limit | value | what it bounds |\n|---|---|---|\n");
    for (name, value, what) in ALL {
        out.push_str(&format!("| `{name}` | {value} | {what} |\n"));
    }
    out
}
