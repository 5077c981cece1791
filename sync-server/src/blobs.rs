//! Photo bytes, content-addressed by SHA-256, behind [`BlobStore`].
//!
//! An upload arrives as chunks appended at the offset the server reports, so a
//! cut connection costs at most one chunk. When the last byte arrives the whole
//! file is hashed; only a file whose hash is its name (and which passes the
//! caller's content check) is moved into place. The same photo uploaded twice
//! is stored once: the second upload finds it complete and sends nothing.
//!
//! Each uploader (a device's login) has its own upload in progress, with the
//! total size it declared on its first chunk: another device that refers to
//! the same photo can neither append to nor end someone else's upload, and a
//! chunk that declares another total is refused. Unfinished uploads untouched
//! for [`shared::limits::PARTIAL_UPLOAD_HOURS`] are removed by the job.
//!
//! [`DirBlobStore`], the default, keeps `root/ab/<hash>` for finished photos and
//! `root/partial/<hash>-<uploader>` (with a `.total` beside it) for uploads in
//! progress. Every append is fsynced before it is acknowledged; finished files
//! are renamed into place and the directory fsynced.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How much of a photo the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobState {
    Missing,
    Partial(u64),
    Complete(u64),
}

impl BlobState {
    pub fn received(self) -> u64 {
        match self {
            BlobState::Missing => 0,
            BlobState::Partial(n) | BlobState::Complete(n) => n,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the upload continues at byte {received}, not at {offset}")]
    OffsetMismatch { offset: u64, received: u64 },
    #[error("this upload was started with a total of {declared} bytes, not {total}")]
    TotalMismatch { declared: u64, total: u64 },
    #[error("the uploaded bytes hash to {actual}, not to the photo's name; upload it again")]
    HashMismatch { actual: String },
    #[error("the uploaded file is not an acceptable photo: {0}")]
    Rejected(String),
    #[error("blob storage: {0}")]
    Io(#[from] io::Error),
}

/// Storage for photo bytes. Hashes given to it are already validated (64
/// lower-case hex); `uploader` names whose upload in progress is meant (32 hex
/// characters: the device's login).
pub trait BlobStore: Send + Sync + 'static {
    /// Complete if the photo is stored, else how much of `uploader`'s upload is held.
    fn state(&self, hash: &str, uploader: &str) -> Result<BlobState, BlobError>;
    /// Appends `bytes` at `offset` of `uploader`'s upload of `hash`, which is
    /// `total` bytes long (fixed by the first chunk); returns the bytes held after it.
    fn append(
        &self,
        hash: &str,
        uploader: &str,
        offset: u64,
        total: u64,
        bytes: &[u8],
    ) -> Result<u64, BlobError>;
    /// Verifies a fully received upload against its hash and `check`, then keeps it.
    /// A file that fails either is discarded, so the next upload starts at 0.
    fn finish(
        &self,
        hash: &str,
        uploader: &str,
        check: &(dyn Fn(&[u8]) -> Result<(), String> + Sync),
    ) -> Result<(), BlobError>;
    /// A finished photo's bytes.
    fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// Removes unfinished uploads not appended to since `before`; returns how many.
    fn expire_partials(&self, before: std::time::SystemTime) -> Result<usize, BlobError>;
}

/// Whether the photo is stored whole (no uploader in particular).
pub fn is_complete(store: &dyn BlobStore, hash: &str) -> bool {
    matches!(store.state(hash, "-"), Ok(BlobState::Complete(_)))
}

/// Copies every finished photo of a directory store at `from` into the same
/// layout at `to`, fsyncing each file and folder; a file already there (same
/// name, same size: names are content hashes) is skipped. Returns how many
/// files were copied. Uploads in progress are left out.
pub fn copy_finished(from: &Path, to: &Path) -> io::Result<usize> {
    let mut n = 0;
    if !from.is_dir() {
        return Ok(0);
    }
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "partial" || !entry.file_type()?.is_dir() {
            continue;
        }
        let dir = to.join(&name);
        fs::create_dir_all(&dir)?;
        for file in fs::read_dir(entry.path())? {
            let file = file?;
            let fname = file.file_name();
            if fname.to_string_lossy().starts_with('.') {
                continue;
            }
            let target = dir.join(&fname);
            if len_of(&target)? == Some(file.metadata()?.len()) {
                continue;
            }
            let tmp = dir.join(format!(".{}.tmp", fname.to_string_lossy()));
            fs::copy(file.path(), &tmp)?;
            File::open(&tmp)?.sync_all()?;
            fs::rename(&tmp, &target)?;
            n += 1;
        }
        photo::sync_dir(&dir)?;
    }
    photo::sync_dir(to)?;
    Ok(n)
}

/// Photos in a local directory.
pub struct DirBlobStore {
    root: PathBuf,
    /// Uploads of the same hash are serialized by one of these.
    locks: Vec<Mutex<()>>,
}

impl DirBlobStore {
    pub fn open(root: &Path) -> io::Result<DirBlobStore> {
        fs::create_dir_all(root.join("partial"))?;
        Ok(DirBlobStore {
            root: root.to_path_buf(),
            locks: (0..64).map(|_| Mutex::new(())).collect(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn lock(&self, hash: &str) -> std::sync::MutexGuard<'_, ()> {
        let i = u8::from_str_radix(&hash[..2], 16).unwrap_or(0) as usize % self.locks.len();
        self.locks[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn final_dir(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2])
    }

    fn final_path(&self, hash: &str) -> PathBuf {
        self.final_dir(hash).join(hash)
    }

    fn partial_path(&self, hash: &str, uploader: &str) -> PathBuf {
        self.root.join("partial").join(format!("{hash}-{uploader}"))
    }

    fn total_path(&self, hash: &str, uploader: &str) -> PathBuf {
        self.root
            .join("partial")
            .join(format!("{hash}-{uploader}.total"))
    }

    fn discard(&self, hash: &str, uploader: &str) -> io::Result<()> {
        for p in [
            self.partial_path(hash, uploader),
            self.total_path(hash, uploader),
        ] {
            match fs::remove_file(p) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Finished photos, for tests and tools.
    pub fn count(&self) -> io::Result<usize> {
        Ok(self.finished()?.len())
    }

    /// The names (hashes) of the finished photos, sorted.
    pub fn finished(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            if entry.file_name() != "partial" && entry.file_type()?.is_dir() {
                for file in fs::read_dir(entry.path())? {
                    let name = file?.file_name().to_string_lossy().into_owned();
                    if !name.starts_with('.') {
                        names.push(name);
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }
}

fn len_of(path: &Path) -> io::Result<Option<u64>> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl BlobStore for DirBlobStore {
    fn state(&self, hash: &str, uploader: &str) -> Result<BlobState, BlobError> {
        if let Some(n) = len_of(&self.final_path(hash))? {
            return Ok(BlobState::Complete(n));
        }
        Ok(match len_of(&self.partial_path(hash, uploader))? {
            Some(n) => BlobState::Partial(n),
            None => BlobState::Missing,
        })
    }

    fn append(
        &self,
        hash: &str,
        uploader: &str,
        offset: u64,
        total: u64,
        bytes: &[u8],
    ) -> Result<u64, BlobError> {
        let _guard = self.lock(hash);
        if let Some(n) = len_of(&self.final_path(hash))? {
            return Ok(n);
        }
        let path = self.partial_path(hash, uploader);
        let total_path = self.total_path(hash, uploader);
        let received = len_of(&path)?.unwrap_or(0);
        if offset != received {
            return Err(BlobError::OffsetMismatch { offset, received });
        }
        let declared = match fs::read_to_string(&total_path) {
            Ok(t) => t.trim().parse::<u64>().ok(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        match declared {
            Some(declared) if received > 0 && declared != total => {
                return Err(BlobError::TotalMismatch { declared, total });
            }
            Some(declared) if declared == total => {}
            _ => {
                // The first chunk (or one after a discarded attempt) fixes the total.
                photo::write_atomic(
                    &self.root.join("partial"),
                    &format!("{hash}-{uploader}.total"),
                    total.to_string().as_bytes(),
                )?;
            }
        }
        let mut f = OpenOptions::new().create(true).append(true).open(&path)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        if received == 0 {
            photo::sync_dir(&self.root.join("partial"))?;
        }
        Ok(received + bytes.len() as u64)
    }

    fn finish(
        &self,
        hash: &str,
        uploader: &str,
        check: &(dyn Fn(&[u8]) -> Result<(), String> + Sync),
    ) -> Result<(), BlobError> {
        let _guard = self.lock(hash);
        if self.final_path(hash).exists() {
            self.discard(hash, uploader)?;
            return Ok(());
        }
        let partial = self.partial_path(hash, uploader);
        let mut bytes = Vec::new();
        File::open(&partial)?.read_to_end(&mut bytes)?;
        let actual = photo::sha256_hex(&bytes);
        if actual != hash {
            self.discard(hash, uploader)?;
            return Err(BlobError::HashMismatch { actual });
        }
        if let Err(why) = check(&bytes) {
            self.discard(hash, uploader)?;
            return Err(BlobError::Rejected(why));
        }
        let dir = self.final_dir(hash);
        fs::create_dir_all(&dir)?;
        fs::rename(&partial, dir.join(hash))?;
        photo::sync_dir(&dir)?;
        self.discard(hash, uploader)?;
        photo::sync_dir(&self.root.join("partial"))?;
        Ok(())
    }

    fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match fs::read(self.final_path(hash)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn expire_partials(&self, before: std::time::SystemTime) -> Result<usize, BlobError> {
        let mut n = 0;
        for entry in fs::read_dir(self.root.join("partial"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".total") {
                continue;
            }
            if entry.metadata()?.modified()? < before {
                let _guard = self.lock(&name);
                fs::remove_file(entry.path())?;
                let _ = fs::remove_file(self.root.join("partial").join(format!("{name}.total")));
                n += 1;
            }
        }
        Ok(n)
    }
}
