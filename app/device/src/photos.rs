//! Photos on the device: adding them, the upload queue, the storage budget, and
//! fetching evicted or other people's photos on demand.
//!
//! **Adding.** [`Device::add_photo`] runs the pipeline of the `photo` crate,
//! writes the upload copy and the thumbnail as content-addressed files (fsynced
//! before the database refers to them) and records the photo as *staged*. The
//! event that carries it (raise, rectify) attaches it in the same transaction
//! that writes the event, which queues both files for upload.
//!
//! **Uploading.** After the documents of a sync session have gone through, the
//! queue is worked thumbnails first, oldest first, in chunks: the device asks
//! the server where to continue and sends from there. A photo that fails is
//! recorded with its error and the queue moves on; documents never wait for it.
//!
//! **Budget.** Once the server holds a full-size copy, the local one may be
//! deleted to stay within the storage budget (oldest first; thumbnails and
//! anything not yet uploaded are always kept). [`Device::photo`] fetches it
//! again when it is needed.

use crate::device::Device;
use crate::error::DeviceError;
use crate::net::{Client, SyncError, SyncOptions};
use crate::store;
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use shared::ids::*;
use shared::issue::{PhotoHash, PhotoRef, PhotoRole};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Default storage budget for full-size photo copies.
pub const DEFAULT_BUDGET: u64 = 256 * 1024 * 1024;

/// Which stored file of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    Full,
    Thumb,
    Original,
}

impl BlobKind {
    pub const fn code(self) -> &'static str {
        match self {
            BlobKind::Full => "full",
            BlobKind::Thumb => "thumb",
            BlobKind::Original => "original",
        }
    }
}

/// Counts for `inspect photos status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoStatus {
    /// Added but not yet part of a saved record.
    pub staged: u64,
    /// Files waiting for upload (thumbnails and full copies).
    pub pending: u64,
    pub pending_bytes: u64,
    pub uploaded: u64,
    /// Full copies held by the server and deleted here to save space.
    pub evicted: u64,
    /// Bytes of full copies kept here, against the budget.
    pub local_full_bytes: u64,
    pub budget: u64,
    /// Files whose last upload attempt failed, with the reason.
    pub failing: Vec<(String, String)>,
}

/// Progress of an upload pass, for a progress bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct UploadProgress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// What an upload pass did.
#[derive(Debug, Clone, Default)]
pub struct UploadReport {
    pub uploaded: usize,
    /// Files the server already had (sent without bytes).
    pub already_there: usize,
    pub bytes_sent: u64,
    pub failed: Vec<(String, String)>,
    /// Files still waiting after this pass.
    pub pending: u64,
    pub evicted: usize,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Device {
    fn photo_dir(&self, kind: BlobKind) -> PathBuf {
        self.data_dir().join("photos").join(kind.code())
    }

    fn blob_path(&self, kind: BlobKind, hash: &str) -> PathBuf {
        self.photo_dir(kind).join(hash)
    }

    /// Runs camera files through the pipeline and stores them as staged photos.
    /// All or nothing: when one file is refused, none is stored.
    pub fn add_photo_files(
        &mut self,
        paths: &[PathBuf],
        now: DateTime<Utc>,
    ) -> Result<Vec<PhotoRef>, DeviceError> {
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = std::fs::read(path).map_err(|source| DeviceError::PhotoFile {
                path: path.display().to_string(),
                source,
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((bytes, name));
        }
        self.add_photos(&files, now)
    }

    /// Runs one photo's bytes through the pipeline and stores it as a staged
    /// photo. `name` is the file's name; its extension must match its content.
    pub fn add_photo(
        &mut self,
        bytes: &[u8],
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<PhotoRef, DeviceError> {
        let mut refs = self.add_photos(&[(bytes.to_vec(), name.to_string())], now)?;
        Ok(refs.pop().expect("one photo in, one out"))
    }

    /// [`Device::add_photo`] for several files, all or nothing.
    pub fn add_photos(
        &mut self,
        files: &[(Vec<u8>, String)],
        now: DateTime<Utc>,
    ) -> Result<Vec<PhotoRef>, DeviceError> {
        let session = self.session()?;
        let plan = self.plan()?;
        let local = FixedOffset::east_opt(plan.site.deadlines.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero"));
        let processed = files
            .iter()
            .map(|(bytes, name)| photo::process(bytes, name, &photo::Limits::default(), local))
            .collect::<Result<Vec<_>, _>>()?;
        let keep = plan.site.keep_originals;
        let mut out = Vec::with_capacity(processed.len());
        for (p, (original, _)) in processed.iter().zip(files) {
            let record = PhotoRef {
                hash: PhotoHash::parse(&p.full_sha).expect("sha-256 hex"),
                thumb: PhotoHash::parse(&p.thumb_sha).expect("sha-256 hex"),
                original: PhotoHash::parse(&p.original_sha).expect("sha-256 hex"),
                width: p.width,
                height: p.height,
                bytes: p.full.len() as u64,
                taken_at: p.taken_at,
                added_at: now,
                by: session.user.id,
                by_name: session.user.name.to_string(),
            };
            // Files first, fsynced: the database never refers to a file that is not whole.
            photo::write_atomic(&self.photo_dir(BlobKind::Full), &p.full_sha, &p.full)?;
            photo::write_atomic(&self.photo_dir(BlobKind::Thumb), &p.thumb_sha, &p.thumb)?;
            if keep {
                photo::write_atomic(
                    &self.photo_dir(BlobKind::Original),
                    &p.original_sha,
                    original,
                )?;
            }
            out.push(record);
        }
        self.store.tx(|tx| {
            let ms = now_ms();
            for (record, (p, (original, _))) in out.iter().zip(processed.iter().zip(files)) {
                let json = serde_json::to_string(record).expect("photo record serializes");
                tx.execute(
                    "INSERT INTO photos (hash, thumb, record, added_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(hash) DO NOTHING",
                    params![p.full_sha, p.thumb_sha, json, ms],
                )?;
                let mut blobs = vec![
                    (p.full_sha.as_str(), BlobKind::Full, p.full.len()),
                    (p.thumb_sha.as_str(), BlobKind::Thumb, p.thumb.len()),
                ];
                if keep {
                    blobs.push((p.original_sha.as_str(), BlobKind::Original, original.len()));
                }
                for (hash, kind, len) in blobs {
                    tx.execute(
                        "INSERT INTO blobs (hash, kind, bytes, state, local, added_ms)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5)
                         ON CONFLICT(hash) DO UPDATE SET local = 1",
                        params![
                            hash,
                            kind.code(),
                            len as i64,
                            if kind == BlobKind::Original {
                                "kept"
                            } else {
                                "staged"
                            },
                            ms
                        ],
                    )?;
                }
            }
            Ok(())
        })?;
        // The same photo added twice is one photo; its first record stands.
        out.iter()
            .map(|r| self.staged_photo(r.hash.as_str()))
            .collect()
    }

    /// A photo hash from a full hash or a unique prefix (8+ characters) of a
    /// photo this device knows.
    pub fn resolve_photo(&self, prefix: &str) -> Result<String, DeviceError> {
        let p = prefix.trim().to_ascii_lowercase();
        if let Ok(h) = PhotoHash::parse(&p) {
            return Ok(h.as_str().to_string());
        }
        if p.len() < 8 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DeviceError::UnknownPhoto(prefix.to_string()));
        }
        let mut stmt = self.store.conn().prepare(
            "SELECT hash FROM photo_refs WHERE substr(hash, 1, ?2) = ?1
             UNION SELECT hash FROM blobs WHERE substr(hash, 1, ?2) = ?1",
        )?;
        let found: Vec<String> = stmt
            .query_map(params![p, p.len() as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(DeviceError::UnknownPhoto(prefix.to_string())),
        }
    }

    /// A photo added on this device, by the hash of its upload copy.
    pub fn staged_photo(&self, hash: &str) -> Result<PhotoRef, DeviceError> {
        let json: Option<String> = self
            .store
            .conn()
            .query_row(
                "SELECT record FROM photos WHERE hash = ?1",
                [hash.trim().to_ascii_lowercase()],
                |r| r.get(0),
            )
            .optional()?;
        let json = json.ok_or_else(|| DeviceError::UnknownPhoto(hash.to_string()))?;
        serde_json::from_str(&json)
            .map_err(|e| DeviceError::Damaged(format!("photo record {hash} is damaged: {e}")))
    }

    /// Storage status of the photos on this device.
    pub fn photo_status(&self) -> Result<PhotoStatus, DeviceError> {
        let conn = self.store.conn();
        let count = |sql: &str| -> Result<u64, DeviceError> {
            Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        let mut failing = Vec::new();
        {
            let mut stmt = conn.prepare(
                "SELECT hash, last_error FROM blobs WHERE state = 'pending' AND last_error IS NOT NULL ORDER BY added_ms",
            )?;
            for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                failing.push(row?);
            }
        }
        Ok(PhotoStatus {
            staged: count("SELECT COUNT(*) FROM blobs WHERE state = 'staged' AND kind = 'full'")?,
            pending: count("SELECT COUNT(*) FROM blobs WHERE state = 'pending'")?,
            pending_bytes: count(
                "SELECT COALESCE(SUM(bytes), 0) FROM blobs WHERE state = 'pending'",
            )?,
            uploaded: count("SELECT COUNT(*) FROM blobs WHERE state = 'uploaded'")?,
            evicted: count(
                "SELECT COUNT(*) FROM blobs WHERE kind = 'full' AND local = 0 AND state IN ('uploaded', 'cached')",
            )?,
            local_full_bytes: count(
                "SELECT COALESCE(SUM(bytes), 0) FROM blobs WHERE kind = 'full' AND local = 1",
            )?,
            budget: self.photo_budget()?,
            failing,
        })
    }

    /// The storage budget for full-size copies, in bytes.
    pub fn photo_budget(&self) -> Result<u64, DeviceError> {
        Ok(store::meta_get(self.store.conn(), "photo_budget")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_BUDGET))
    }

    /// Sets the storage budget and evicts what no longer fits.
    pub fn set_photo_budget(&mut self, bytes: u64) -> Result<usize, DeviceError> {
        self.store
            .tx(|tx| Ok(store::meta_set(tx, "photo_budget", &bytes.to_string())?))?;
        self.evict_photos()
    }

    /// Deletes the oldest full-size copies the server already holds until the
    /// local ones fit the budget. Returns how many were deleted.
    pub fn evict_photos(&mut self) -> Result<usize, DeviceError> {
        let budget = self.photo_budget()?;
        let mut local: i64 = self.store.conn().query_row(
            "SELECT COALESCE(SUM(bytes), 0) FROM blobs WHERE kind = 'full' AND local = 1",
            [],
            |r| r.get(0),
        )?;
        if local as u64 <= budget {
            return Ok(0);
        }
        let candidates: Vec<(String, i64)> = {
            let mut stmt = self.store.conn().prepare(
                "SELECT hash, bytes FROM blobs WHERE kind = 'full' AND local = 1
                 AND state IN ('uploaded', 'cached') ORDER BY COALESCE(done_ms, added_ms)",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut evicted = 0;
        for (hash, bytes) in candidates {
            if local as u64 <= budget {
                break;
            }
            // The row first: a crash between the two leaves an orphan file, never a dangling row.
            self.store.tx(|tx| {
                tx.execute("UPDATE blobs SET local = 0 WHERE hash = ?1", [&hash])?;
                Ok(())
            })?;
            match std::fs::remove_file(self.blob_path(BlobKind::Full, &hash)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            local -= bytes;
            evicted += 1;
        }
        Ok(evicted)
    }

    /// A photo file's bytes by hash (upload copy or thumbnail): from this device
    /// when it is here, otherwise fetched from the server, checked against its
    /// hash, and kept under the storage budget.
    pub fn photo(&mut self, hash: &str, opts: &SyncOptions) -> Result<Vec<u8>, DeviceError> {
        let hash = PhotoHash::parse(hash)
            .map_err(|_| DeviceError::UnknownPhoto(hash.to_string()))?
            .as_str()
            .to_string();
        let kind = self.kind_of(&hash)?;
        let local: Option<bool> = self
            .store
            .conn()
            .query_row("SELECT local FROM blobs WHERE hash = ?1", [&hash], |r| {
                r.get(0)
            })
            .optional()?;
        if local == Some(true) {
            let path = self.blob_path(kind, &hash);
            if let Ok(bytes) = std::fs::read(&path)
                && photo::sha256_hex(&bytes) == hash
            {
                return Ok(bytes);
            }
        }
        let session = self.session()?;
        let client = Client::new(&session.server, opts)?;
        let bytes = client.get_photo(&session.token, &hash)?;
        if photo::sha256_hex(&bytes) != hash {
            return Err(SyncError::Protocol(format!(
                "the server sent bytes for photo {hash} that do not match its hash"
            ))
            .into());
        }
        photo::write_atomic(&self.photo_dir(kind), &hash, &bytes)?;
        self.store.tx(|tx| {
            tx.execute(
                "INSERT INTO blobs (hash, kind, bytes, state, local, added_ms, done_ms)
                 VALUES (?1, ?2, ?3, 'cached', 1, ?4, ?4)
                 ON CONFLICT(hash) DO UPDATE SET local = 1, done_ms = excluded.done_ms",
                params![hash, kind.code(), bytes.len() as i64, now_ms()],
            )?;
            Ok(())
        })?;
        if kind == BlobKind::Full {
            self.evict_photos()?;
        }
        Ok(bytes)
    }

    /// Whether `hash` names a thumbnail or a full copy, from the records on this device.
    fn kind_of(&self, hash: &str) -> Result<BlobKind, DeviceError> {
        let conn = self.store.conn();
        let known: Option<String> = conn
            .query_row("SELECT kind FROM blobs WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()?;
        match known.as_deref() {
            Some("thumb") => return Ok(BlobKind::Thumb),
            Some("full") => return Ok(BlobKind::Full),
            _ => {}
        }
        let (_, view) = self.photo_record(hash, None)?;
        Ok(if view.thumb.as_str() == hash {
            BlobKind::Thumb
        } else {
            BlobKind::Full
        })
    }

    /// The issue carrying a photo and the photo's record: in issue `within`
    /// when given (the same photo may be on two issues, each with its own
    /// time and place), else the first issue that carries it.
    pub fn photo_record(
        &self,
        hash: &str,
        within: Option<IssueId>,
    ) -> Result<(shared::issue::IssueView, PhotoRef), DeviceError> {
        let issue: Option<Vec<u8>> = self
            .store
            .conn()
            .query_row(
                "SELECT issue FROM photo_refs WHERE hash = ?1 AND (?2 IS NULL OR issue = ?2) LIMIT 1",
                rusqlite::params![hash, within.map(|i| i.as_uuid().as_bytes().to_vec())],
                |r| r.get(0),
            )
            .optional()?;
        let id = issue
            .and_then(|b| uuid::Uuid::from_slice(&b).ok())
            .map(IssueId::from_uuid)
            .ok_or_else(|| DeviceError::UnknownPhoto(hash.to_string()))?;
        let view = self.issue(id)?;
        let p = view
            .photo(hash)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| DeviceError::UnknownPhoto(hash.to_string()))?;
        Ok((view, p))
    }

    /// The photo as shown or exported: the upload copy with the evidence caption
    /// burned in (time, site, checkpoint, who). Returns the JPEG and how the
    /// caption was drawn.
    pub fn stamped_photo(
        &mut self,
        hash: &str,
        within: Option<IssueId>,
        fonts: &photo::stamp::Fonts,
        opts: &SyncOptions,
    ) -> Result<(Vec<u8>, photo::stamp::Drawn), DeviceError> {
        let (view, p) = self.photo_record(hash.trim(), within)?;
        let bytes = self.photo(p.hash.as_str(), opts)?;
        let plan = self.plan()?;
        let caption = photo::stamp::caption_for(&plan, &view, p.hash.as_str())
            .ok_or_else(|| DeviceError::UnknownPhoto(hash.to_string()))?;
        Ok(photo::stamp::stamp_jpeg(&bytes, &caption, fonts)?)
    }

    /// Uploads queued photo files; see the module docs. Stops at `deadline`
    /// (what is left stays queued) or when the server cannot be reached.
    pub(crate) fn upload_photos(
        &mut self,
        client: &Client,
        token: &str,
        opts: &SyncOptions,
        progress: &mut dyn FnMut(UploadProgress),
    ) -> Result<UploadReport, DeviceError> {
        let deadline = Instant::now() + opts.photo_timeout;
        let queue: Vec<(String, String, i64)> = {
            let mut stmt = self.store.conn().prepare(
                "SELECT hash, kind, bytes FROM blobs WHERE state = 'pending'
                 ORDER BY CASE kind WHEN 'thumb' THEN 0 ELSE 1 END, added_ms, hash",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut report = UploadReport::default();
        let mut prog = UploadProgress {
            files_total: queue.len(),
            bytes_total: queue.iter().map(|q| q.2 as u64).sum(),
            ..Default::default()
        };
        progress(prog);
        for (hash, kind, size) in queue {
            if Instant::now() >= deadline {
                break;
            }
            let kind = if kind == "thumb" {
                BlobKind::Thumb
            } else {
                BlobKind::Full
            };
            let base = prog.bytes_done;
            let outcome = self.upload_one(
                client, token, &hash, kind, opts, deadline, &mut prog, progress,
            );
            match outcome {
                Ok(sent) => {
                    if sent == 0 {
                        report.already_there += 1;
                    }
                    report.uploaded += 1;
                    report.bytes_sent += sent;
                    self.store.tx(|tx| {
                        tx.execute(
                            "UPDATE blobs SET state = 'uploaded', last_error = NULL, done_ms = ?2 WHERE hash = ?1",
                            params![hash, now_ms()],
                        )?;
                        Ok(())
                    })?;
                }
                Err(e) => {
                    let unreachable = matches!(
                        &e,
                        DeviceError::Sync(
                            SyncError::Unreachable { .. } | SyncError::Unauthorized(_)
                        )
                    );
                    let message = e.to_string();
                    self.store.tx(|tx| {
                        tx.execute(
                            "UPDATE blobs SET attempts = attempts + 1, last_error = ?2 WHERE hash = ?1",
                            params![hash, message],
                        )?;
                        Ok(())
                    })?;
                    report.failed.push((hash.clone(), message));
                    if unreachable {
                        break;
                    }
                }
            }
            prog.files_done += 1;
            prog.bytes_done = base + size as u64;
            progress(prog);
        }
        report.evicted = self.evict_photos()?;
        report.pending = self.photo_status()?.pending;
        Ok(report)
    }

    /// Uploads one file from where the server says it stands. Returns the bytes sent.
    #[allow(clippy::too_many_arguments)]
    fn upload_one(
        &mut self,
        client: &Client,
        token: &str,
        hash: &str,
        kind: BlobKind,
        opts: &SyncOptions,
        deadline: Instant,
        prog: &mut UploadProgress,
        progress: &mut dyn FnMut(UploadProgress),
    ) -> Result<u64, DeviceError> {
        let bytes = std::fs::read(self.blob_path(kind, hash))?;
        if photo::sha256_hex(&bytes) != hash {
            return Err(DeviceError::Damaged(format!(
                "the local copy of photo {hash} is damaged; it cannot be uploaded"
            )));
        }
        let total = bytes.len() as u64;
        let start = prog.bytes_done;
        let mut sent = 0u64;
        let mut failures = 0u32;
        let mut backoff = Duration::from_millis(50);
        let mut offset: Option<u64> = None;
        loop {
            let step = match offset {
                None => client.upload_status(token, hash),
                Some(at) => {
                    let end = (at + opts.photo_chunk as u64).min(total);
                    let r = client.upload_chunk(
                        token,
                        hash,
                        at,
                        total,
                        &bytes[at as usize..end as usize],
                    );
                    if r.is_ok() {
                        sent += end - at;
                    }
                    r
                }
            };
            match step {
                Ok(status) if status.complete => return Ok(sent),
                Ok(status) => {
                    if status.received > total {
                        return Err(SyncError::Protocol(format!(
                            "the server holds more of photo {hash} than it has bytes"
                        ))
                        .into());
                    }
                    offset = Some(status.received);
                    prog.bytes_done = start + status.received;
                    progress(*prog);
                    failures = 0;
                }
                Err(SyncError::Server { status: 409, .. }) => offset = None,
                Err(
                    e @ (SyncError::Unreachable { .. } | SyncError::Server { status: 500.., .. }),
                ) => {
                    failures += 1;
                    if failures > 6 || Instant::now() + backoff >= deadline {
                        return Err(e.into());
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    offset = None;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Attaches photos added on this device to the event `event` of `issue`, in the
/// transaction that writes the event: they leave the staging area and join the
/// upload queue. A photo not added on this device is refused.
pub(crate) fn attach(
    tx: &Transaction<'_>,
    photos: &[PhotoRef],
    issue: IssueId,
    event: EventId,
    role: PhotoRole,
) -> Result<(), DeviceError> {
    if photos.len() > shared::issue::MAX_PHOTOS_PER_EVENT {
        return Err(DeviceError::TooManyPhotos(
            shared::issue::MAX_PHOTOS_PER_EVENT,
        ));
    }
    for p in photos {
        let n = tx.execute(
            "UPDATE photos SET issue = ?2, role = ?3, event = ?4 WHERE hash = ?1",
            params![
                p.hash.as_str(),
                issue.as_uuid().as_bytes(),
                role.code(),
                event.as_uuid().as_bytes()
            ],
        )?;
        if n == 0 {
            return Err(DeviceError::UnknownPhoto(p.hash.to_string()));
        }
        tx.execute(
            "UPDATE blobs SET state = 'pending' WHERE hash IN (?1, ?2) AND state = 'staged'",
            params![p.hash.as_str(), p.thumb.as_str()],
        )?;
    }
    Ok(())
}
