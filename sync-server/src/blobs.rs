//! Photo bytes, content-addressed by SHA-256, behind [`BlobStore`].
//!
//! An upload arrives as chunks appended at the offset the server reports, so a
//! cut connection costs at most one chunk. When the last byte arrives the whole
//! file is hashed; only a file whose hash is its name (and which passes the
//! caller's content check) is moved into place. The same photo uploaded twice
//! is stored once: the second upload finds it complete and sends nothing.
//!
//! [`DirBlobStore`], the default, keeps `root/ab/<hash>` for finished photos and
//! `root/partial/<hash>` for uploads in progress. Every append is fsynced before
//! it is acknowledged; finished files are renamed into place and the directory
//! fsynced.

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
    #[error("the uploaded bytes hash to {actual}, not to the photo's name; upload it again")]
    HashMismatch { actual: String },
    #[error("the uploaded file is not an acceptable photo: {0}")]
    Rejected(String),
    #[error("blob storage: {0}")]
    Io(#[from] io::Error),
}

/// Storage for photo bytes. Hashes given to it are already validated (64 lower-case hex).
pub trait BlobStore: Send + Sync + 'static {
    fn state(&self, hash: &str) -> Result<BlobState, BlobError>;
    /// Appends `bytes` at `offset` of the upload of `hash`; returns the bytes held after it.
    fn append(&self, hash: &str, offset: u64, bytes: &[u8]) -> Result<u64, BlobError>;
    /// Verifies a fully received upload against its hash and `check`, then keeps it.
    /// A file that fails either is discarded, so the next upload starts at 0.
    fn finish(
        &self,
        hash: &str,
        check: &(dyn Fn(&[u8]) -> Result<(), String> + Sync),
    ) -> Result<(), BlobError>;
    /// A finished photo's bytes.
    fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError>;
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

    fn partial_path(&self, hash: &str) -> PathBuf {
        self.root.join("partial").join(hash)
    }

    /// Finished photos, for tests and tools.
    pub fn count(&self) -> io::Result<usize> {
        let mut n = 0;
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            if entry.file_name() != "partial" && entry.file_type()?.is_dir() {
                n += fs::read_dir(entry.path())?
                    .filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count();
            }
        }
        Ok(n)
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
    fn state(&self, hash: &str) -> Result<BlobState, BlobError> {
        if let Some(n) = len_of(&self.final_path(hash))? {
            return Ok(BlobState::Complete(n));
        }
        Ok(match len_of(&self.partial_path(hash))? {
            Some(n) => BlobState::Partial(n),
            None => BlobState::Missing,
        })
    }

    fn append(&self, hash: &str, offset: u64, bytes: &[u8]) -> Result<u64, BlobError> {
        let _guard = self.lock(hash);
        if let Some(n) = len_of(&self.final_path(hash))? {
            return Ok(n);
        }
        let path = self.partial_path(hash);
        let received = len_of(&path)?.unwrap_or(0);
        if offset != received {
            return Err(BlobError::OffsetMismatch { offset, received });
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
        check: &(dyn Fn(&[u8]) -> Result<(), String> + Sync),
    ) -> Result<(), BlobError> {
        let _guard = self.lock(hash);
        if self.final_path(hash).exists() {
            return Ok(());
        }
        let partial = self.partial_path(hash);
        let mut bytes = Vec::new();
        File::open(&partial)?.read_to_end(&mut bytes)?;
        let actual = photo::sha256_hex(&bytes);
        if actual != hash {
            fs::remove_file(&partial)?;
            return Err(BlobError::HashMismatch { actual });
        }
        if let Err(why) = check(&bytes) {
            fs::remove_file(&partial)?;
            return Err(BlobError::Rejected(why));
        }
        let dir = self.final_dir(hash);
        fs::create_dir_all(&dir)?;
        fs::rename(&partial, dir.join(hash))?;
        photo::sync_dir(&dir)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &[u8]) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn chunks_resume_at_the_reported_offset_and_finish_verified() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirBlobStore::open(dir.path()).unwrap();
        let data = b"some photo bytes, in three pieces".to_vec();
        let hash = photo::sha256_hex(&data);
        assert_eq!(store.state(&hash).unwrap(), BlobState::Missing);
        assert_eq!(store.append(&hash, 0, &data[..10]).unwrap(), 10);
        assert!(matches!(
            store.append(&hash, 5, &data[5..]),
            Err(BlobError::OffsetMismatch { received: 10, .. })
        ));
        assert_eq!(store.state(&hash).unwrap(), BlobState::Partial(10));
        store.append(&hash, 10, &data[10..]).unwrap();
        store.finish(&hash, &ok).unwrap();
        assert_eq!(
            store.state(&hash).unwrap(),
            BlobState::Complete(data.len() as u64)
        );
        assert_eq!(store.get(&hash).unwrap().unwrap(), data);
        // A second upload of the same photo stores nothing new.
        assert_eq!(store.append(&hash, 0, &data).unwrap(), data.len() as u64);
        assert_eq!(store.count().unwrap(), 1);
    }

    #[test]
    fn wrong_bytes_and_refused_contents_are_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirBlobStore::open(dir.path()).unwrap();
        let hash = photo::sha256_hex(b"the real photo");
        store.append(&hash, 0, b"something else").unwrap();
        assert!(matches!(
            store.finish(&hash, &ok),
            Err(BlobError::HashMismatch { .. })
        ));
        assert_eq!(store.state(&hash).unwrap(), BlobState::Missing);

        store.append(&hash, 0, b"the real photo").unwrap();
        let refuse = |_: &[u8]| Err("not a JPEG".to_string());
        assert!(matches!(
            store.finish(&hash, &refuse),
            Err(BlobError::Rejected(_))
        ));
        assert_eq!(store.state(&hash).unwrap(), BlobState::Missing);
        assert_eq!(store.count().unwrap(), 0);
    }
}
