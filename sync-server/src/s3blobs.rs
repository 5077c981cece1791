//! Photo bytes in S3-compatible object storage (AWS S3, Aliyun OSS, MinIO and
//! the like), chosen by `--blob-url s3://bucket/prefix`.
//!
//! The layout under the prefix:
//! - `photos/ab/<hash>`: a finished photo, named by its SHA-256 as in the
//!   directory store;
//! - `partial/<hash>/<uploader>/<total>/<offset>`: one object per chunk of an
//!   upload in progress (`offset` zero-padded to 20 digits, so the listing is in
//!   upload order; `total` is what the first chunk declared).
//!
//! Nothing about an upload lives in a server's memory, so any replica can take
//! the next chunk. A chunk is written with "create only if absent"
//! (`If-None-Match: *`): two replicas handed the same chunk at once cannot both
//! write it, and the loser answers with the offset the winner reached. When the
//! last chunk is in, the parts are read back in order, hashed and checked; only
//! bytes whose hash is their name are written to `photos/`, then the parts are
//! removed.
//!
//! [`BlobStore`] is synchronous (the server calls it on blocking threads); this
//! store drives its requests on a runtime of its own.

use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::blobs::{BlobError, BlobState, BlobStore};

/// Photos in an S3-compatible bucket.
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    rt: Option<tokio::runtime::Runtime>,
}

fn remote(e: object_store::Error) -> BlobError {
    BlobError::Io(io::Error::other(format!("object storage: {e}")))
}

/// One chunk of an upload in progress, read off its key.
struct Part {
    key: Key,
    total: u64,
    offset: u64,
    len: u64,
}

/// What an uploader's parts add up to: the bytes held from 0 without a gap,
/// and the total the first chunk declared.
struct Held {
    parts: Vec<Part>,
    received: u64,
    declared: Option<u64>,
}

impl S3BlobStore {
    /// Opens `s3://bucket[/prefix]`. The endpoint, region and credentials come
    /// from the environment as AWS tools read them (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and
    /// `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint).
    pub fn open(url: &str) -> Result<S3BlobStore, String> {
        Self::open_with(url, &[])
    }

    /// [`S3BlobStore::open`] with settings that override the environment's,
    /// named as `AmazonS3ConfigKey` spells them (`aws_endpoint`,
    /// `aws_access_key_id`, `aws_allow_http`, ...).
    pub fn open_with(url: &str, settings: &[(&str, &str)]) -> Result<S3BlobStore, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{url}` is not an s3:// address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("`{url}` names no bucket"));
        }
        // An https:// endpoint needs TLS; the process uses ring's provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (key, value) in settings {
            let key: AmazonS3ConfigKey = key
                .parse()
                .map_err(|e| format!("`{key}` is not an object storage setting: {e}"))?;
            builder = builder.with_config(key, *value);
        }
        let store = builder
            .build()
            .map_err(|e| format!("cannot use {url}: {e}"))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3-blobs")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the object storage client: {e}"))?;
        Ok(S3BlobStore {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_string(),
            rt: Some(rt),
        })
    }

    /// Lists the bucket once, so a wrong endpoint, bucket or key is told at
    /// start-up rather than at the first photo.
    pub fn check(&self) -> Result<(), BlobError> {
        let key = self.key("photos");
        self.run(async {
            let mut list = self.store.list(Some(&key));
            list.try_next().await.map(|_| ())
        })
    }

    /// The names (hashes) of the finished photos, sorted.
    pub fn finished(&self) -> Result<Vec<String>, BlobError> {
        let base = self.key("photos");
        let mut names: Vec<String> = self
            .run(self.list(&base))?
            .into_iter()
            .filter_map(|m| m.location.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Stores a whole photo under its name; the bytes must hash to it.
    pub fn put_photo(&self, hash: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let actual = photo::sha256_hex(&bytes);
        if actual != hash {
            return Err(BlobError::HashMismatch { actual });
        }
        self.run(async {
            self.store
                .put(&self.final_key(hash), PutPayload::from(bytes))
                .await
                .map(|_| ())
        })
    }

    fn run<T>(
        &self,
        f: impl std::future::Future<Output = object_store::Result<T>>,
    ) -> Result<T, BlobError> {
        let rt = self.rt.as_ref().expect("runtime until drop");
        rt.block_on(f).map_err(remote)
    }

    fn key(&self, rest: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rest)
        } else {
            Key::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn final_key(&self, hash: &str) -> Key {
        self.key(&format!("photos/{}/{hash}", &hash[..2]))
    }

    fn upload_key(&self, hash: &str, uploader: &str) -> Key {
        self.key(&format!("partial/{hash}/{uploader}"))
    }

    fn part_key(&self, hash: &str, uploader: &str, total: u64, offset: u64) -> Key {
        self.key(&format!("partial/{hash}/{uploader}/{total}/{offset:020}"))
    }

    async fn size_of(&self, key: &Key) -> object_store::Result<Option<u64>> {
        match self.store.head(key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list(&self, prefix: &Key) -> object_store::Result<Vec<ObjectMeta>> {
        self.store.list(Some(prefix)).try_collect().await
    }

    /// The parts of `uploader`'s upload, in order.
    async fn held(&self, hash: &str, uploader: &str) -> object_store::Result<Held> {
        let base = self.upload_key(hash, uploader);
        let mut parts: Vec<Part> = self
            .list(&base)
            .await?
            .into_iter()
            .filter_map(|m| part_of(&base, m))
            .collect();
        parts.sort_by_key(|p| p.offset);
        let declared = parts.first().map(|p| p.total);
        if parts.iter().any(|p| Some(p.total) != declared) {
            // Two first chunks that declared different totals: the upload
            // cannot be trusted, so it starts again from nothing.
            for p in &parts {
                self.forget(&p.key).await?;
            }
            return Ok(Held {
                parts: Vec::new(),
                received: 0,
                declared: None,
            });
        }
        let mut received = 0;
        for p in &parts {
            if p.offset != received {
                break;
            }
            received += p.len;
        }
        Ok(Held {
            parts,
            received,
            declared,
        })
    }

    async fn forget(&self, key: &Key) -> object_store::Result<()> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn discard(&self, parts: &[Part]) -> object_store::Result<()> {
        for p in parts {
            self.forget(&p.key).await?;
        }
        Ok(())
    }
}

/// Reads `<base>/<total>/<offset>`; anything else under the prefix is not a part.
fn part_of(base: &Key, meta: ObjectMeta) -> Option<Part> {
    let (total, offset) = {
        let mut rest = meta.location.prefix_match(base)?;
        let total = rest.next()?.as_ref().parse().ok()?;
        let offset = rest.next()?.as_ref().parse().ok()?;
        if rest.next().is_some() {
            return None;
        }
        (total, offset)
    };
    Some(Part {
        key: meta.location,
        total,
        offset,
        len: meta.size,
    })
}

impl Drop for S3BlobStore {
    fn drop(&mut self) {
        // Dropping a runtime waits for its threads, which is not allowed on an
        // async thread; the store may be dropped on one.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl BlobStore for S3BlobStore {
    fn state(&self, hash: &str, uploader: &str) -> Result<BlobState, BlobError> {
        self.run(async {
            if let Some(n) = self.size_of(&self.final_key(hash)).await? {
                return Ok(BlobState::Complete(n));
            }
            let held = self.held(hash, uploader).await?;
            Ok(if held.parts.is_empty() {
                BlobState::Missing
            } else {
                BlobState::Partial(held.received)
            })
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
        let payload = PutPayload::from(bytes.to_vec());
        self.run(async {
            if let Some(n) = self.size_of(&self.final_key(hash)).await? {
                return Ok(Ok(n));
            }
            let held = self.held(hash, uploader).await?;
            if offset != held.received {
                return Ok(Err(BlobError::OffsetMismatch {
                    offset,
                    received: held.received,
                }));
            }
            if let Some(declared) = held.declared.filter(|d| *d != total) {
                if held.received > 0 {
                    return Ok(Err(BlobError::TotalMismatch { declared, total }));
                }
                // Parts past a gap that never filled: begin again.
                self.discard(&held.parts).await?;
            }
            let key = self.part_key(hash, uploader, total, offset);
            let opts = PutOptions {
                mode: PutMode::Create,
                ..Default::default()
            };
            match self.store.put_opts(&key, payload, opts).await {
                Ok(_) => Ok(Ok(held.received + bytes.len() as u64)),
                Err(object_store::Error::AlreadyExists { .. }) => {
                    // Another replica wrote this chunk first.
                    let now = self.held(hash, uploader).await?;
                    Ok(Err(BlobError::OffsetMismatch {
                        offset,
                        received: now.received,
                    }))
                }
                Err(e) => Err(e),
            }
        })?
    }

    fn finish(
        &self,
        hash: &str,
        uploader: &str,
        check: &(dyn Fn(&[u8]) -> Result<(), String> + Sync),
    ) -> Result<(), BlobError> {
        let (held, bytes) = self.run(async {
            let held = self.held(hash, uploader).await?;
            if self.size_of(&self.final_key(hash)).await?.is_some() {
                self.discard(&held.parts).await?;
                return Ok((held, None));
            }
            let mut bytes = Vec::with_capacity(held.received as usize);
            for p in &held.parts {
                if p.offset != bytes.len() as u64 {
                    break;
                }
                bytes.extend_from_slice(&self.store.get(&p.key).await?.bytes().await?);
            }
            Ok((held, Some(bytes)))
        })?;
        let Some(bytes) = bytes else {
            return Ok(());
        };
        let actual = photo::sha256_hex(&bytes);
        if actual != hash {
            self.run(self.discard(&held.parts))?;
            return Err(BlobError::HashMismatch { actual });
        }
        if let Err(why) = check(&bytes) {
            self.run(self.discard(&held.parts))?;
            return Err(BlobError::Rejected(why));
        }
        self.run(async {
            // Content-addressed: a racing replica can only write the same bytes.
            self.store
                .put(&self.final_key(hash), PutPayload::from(bytes))
                .await?;
            self.discard(&held.parts).await
        })
    }

    fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.run(async {
            match self.store.get(&self.final_key(hash)).await {
                Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn expire_partials(&self, before: SystemTime) -> Result<usize, BlobError> {
        self.run(async {
            let base = self.key("partial");
            let mut uploads: std::collections::BTreeMap<String, (SystemTime, Vec<Key>)> =
                Default::default();
            for meta in self.list(&base).await? {
                let upload = {
                    let Some(mut rest) = meta.location.prefix_match(&base) else {
                        continue;
                    };
                    let (Some(hash), Some(uploader)) = (rest.next(), rest.next()) else {
                        continue;
                    };
                    format!("{}/{}", hash.as_ref(), uploader.as_ref())
                };
                let entry = uploads
                    .entry(upload)
                    .or_insert((SystemTime::UNIX_EPOCH, Vec::new()));
                entry.0 = entry.0.max(meta.last_modified.into());
                entry.1.push(meta.location);
            }
            let mut n = 0;
            for (last, keys) in uploads.into_values() {
                if last < before {
                    for k in &keys {
                        self.forget(k).await?;
                    }
                    n += 1;
                }
            }
            Ok(n)
        })
    }
}

/// What [`move_photos`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Moved {
    pub photos: usize,
    pub bytes: u64,
}

/// Copies every finished photo of a photo directory into an empty bucket,
/// then reads each one back and checks its SHA-256 against its name, and the
/// bucket's list of photos against the directory's. Refuses a bucket (under
/// its prefix) that already holds photos, and a file in the directory whose
/// bytes do not hash to its name. Uploads in progress are left behind: devices
/// send them again.
pub fn move_photos(
    from: &crate::blobs::DirBlobStore,
    to: &S3BlobStore,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Moved, String> {
    let there = to.finished().map_err(|e| e.to_string())?;
    if !there.is_empty() {
        return Err(format!(
            "the bucket already holds {} photo(s) under this prefix; give an empty one",
            there.len()
        ));
    }
    let names = from.finished().map_err(|e| e.to_string())?;
    let mut bytes = 0;
    for (i, name) in names.iter().enumerate() {
        let data = from
            .get(name)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("photo {name} vanished from the directory"))?;
        bytes += data.len() as u64;
        to.put_photo(name, data).map_err(|e| match e {
            BlobError::HashMismatch { actual } => format!(
                "the file {name} in the photo directory hashes to {actual}: it is damaged; nothing was removed"
            ),
            e => format!("photo {name}: {e}"),
        })?;
        progress(i + 1, names.len());
    }
    for name in &names {
        let back = to
            .get(name)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("photo {name} is missing from the bucket after the copy"))?;
        if photo::sha256_hex(&back) != *name {
            return Err(format!("photo {name} reads back different from the bucket"));
        }
    }
    let there = to.finished().map_err(|e| e.to_string())?;
    if there != names {
        return Err(format!(
            "the bucket lists {} photo(s), the directory {}",
            there.len(),
            names.len()
        ));
    }
    Ok(Moved {
        photos: names.len(),
        bytes,
    })
}
