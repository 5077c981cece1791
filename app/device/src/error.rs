//! The device core's error type: one variant per thing a person can act on.

use shared::issue::FoldRefusal;

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("this device is not logged in; run `inspect login` first")]
    NotLoggedIn,
    #[error("no patrol is open; start one with `inspect patrol start --route CODE`")]
    NoOpenPatrol,
    #[error("a patrol on route {0} is still open; finish it first")]
    PatrolOpen(String),
    #[error("there is no route `{0}` in this site's plan")]
    UnknownRoute(String),
    #[error("there is no checkpoint `{0}` in this site's plan")]
    UnknownCheckpoint(String),
    #[error("checkpoint `{checkpoint}` is not on the route of the open patrol")]
    NotOnRoute { checkpoint: String },
    #[error("checkpoint `{checkpoint}` has no checklist item `{item}`")]
    UnknownItem { checkpoint: String, item: String },
    #[error("checkpoint `{checkpoint}`: item `{item}` was not answered")]
    MissingItem { checkpoint: String, item: String },
    #[error("there is no user `{0}` in this site")]
    UnknownUser(String),
    #[error("there is no issue {0} on this device")]
    UnknownIssue(String),
    #[error("the point code `{entered}` does not match checkpoint `{expected}`")]
    WrongPointCode { entered: String, expected: String },
    #[error("{0}")]
    Refused(#[from] FoldRefusal),
    #[error("{0}")]
    Answer(#[from] shared::patrol::AnswerError),
    #[error("{0}")]
    Text(#[from] shared::text::TextError),
    #[error("{0}")]
    Fold(#[from] shared::issue::FoldError),
    #[error("the site plan is missing on this device; run `inspect sync`")]
    NoPlan,
    #[error("stored document is damaged: {0}")]
    Doc(#[from] shared::doc::DocError),
    #[error("local database error: {0}")]
    Store(#[from] rusqlite::Error),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Sync(#[from] crate::net::SyncError),
    #[error("{0}")]
    Photo(#[from] photo::PhotoError),
    #[error("cannot read the photo {path}: {source}")]
    PhotoFile {
        path: String,
        source: std::io::Error,
    },
    #[error("there is no photo {0} on this device")]
    UnknownPhoto(String),
    #[error("photo storage: {0}")]
    PhotoStore(#[from] std::io::Error),
    #[error("{0}")]
    Unsynced(String),
    /// A device works at one site: it holds another site's records.
    #[error(
        "this device holds the records of site {held}; it works at one site, so sign in at {held} (or use another device for {asked})"
    )]
    OtherSite { held: String, asked: String },
    #[error("role {0} does not walk patrols")]
    NotAPatroller(&'static str),
    #[error("at most {0} photos per record")]
    TooManyPhotos(usize),
    #[error("{0}")]
    Damaged(String),
    #[error("{0}")]
    Refusal(#[from] shared::text::Said),
    #[error("{0}")]
    Invalid(String),
    /// The server does not let this user see that (a role or another site).
    #[error("{0}")]
    Forbidden(String),
}

impl DeviceError {
    /// A stable code for the UI (`{code, message}` across the Tauri boundary).
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::NotLoggedIn => "not_logged_in",
            DeviceError::NoOpenPatrol => "no_open_patrol",
            DeviceError::PatrolOpen(_) => "patrol_open",
            DeviceError::UnknownRoute(_) => "unknown_route",
            DeviceError::UnknownCheckpoint(_) => "unknown_checkpoint",
            DeviceError::NotOnRoute { .. } => "not_on_route",
            DeviceError::UnknownItem { .. } => "unknown_item",
            DeviceError::MissingItem { .. } => "missing_item",
            DeviceError::UnknownUser(_) => "unknown_user",
            DeviceError::UnknownIssue(_) => "unknown_issue",
            DeviceError::WrongPointCode { .. } => "wrong_point_code",
            DeviceError::Refused(r) => r.code,
            DeviceError::Answer(_) => "bad_answer",
            DeviceError::Text(_) => "bad_text",
            DeviceError::Fold(_) => "damaged",
            DeviceError::NoPlan => "no_plan",
            DeviceError::Doc(_) => "damaged",
            DeviceError::Store(_) => "storage",
            DeviceError::DataDir { .. } => "storage",
            DeviceError::Sync(crate::net::SyncError::Unreachable { .. }) => "offline",
            DeviceError::Sync(crate::net::SyncError::Unauthorized(_)) => "unauthorized",
            DeviceError::Sync(_) => "sync",
            DeviceError::Photo(_) => "bad_photo",
            DeviceError::PhotoFile { .. } => "bad_photo",
            DeviceError::UnknownPhoto(_) => "unknown_photo",
            DeviceError::PhotoStore(_) => "storage",
            DeviceError::Unsynced(_) => "unsynced",
            DeviceError::OtherSite { .. } => "other_site",
            DeviceError::NotAPatroller(_) => "role_forbidden",
            DeviceError::TooManyPhotos(_) => "too_many_photos",
            DeviceError::Damaged(_) => "damaged",
            DeviceError::Refusal(_) | DeviceError::Invalid(_) => "invalid",
            DeviceError::Forbidden(_) => "forbidden",
        }
    }

    /// The sentence in Chinese where it says more than the UI's sentence for
    /// [`DeviceError::code`] (empty otherwise).
    pub fn message_zh(&self) -> String {
        use shared::text::Bilingual;
        match self {
            DeviceError::Answer(e) => e.zh(),
            DeviceError::Text(e) => e.zh(),
            DeviceError::Refusal(e) => e.zh(),
            DeviceError::TooManyPhotos(n) => format!("每条记录最多 {n} 张照片：请删掉几张"),
            DeviceError::Sync(crate::net::SyncError::Server { message_zh, .. }) => {
                message_zh.clone()
            }
            DeviceError::OtherSite { held, asked } => format!(
                "本设备保存的是项目 {held} 的记录，一台设备只在一个项目工作：请登录 {held}（或用另一台设备登录 {asked}）"
            ),
            _ => String::new(),
        }
    }
}
