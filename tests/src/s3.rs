//! A throwaway S3-compatible server for the object-storage tests: moto's
//! server mode (installed into `.tools/moto` by `scripts/setup`), started on
//! 127.0.0.1 port 0 and stopped when the handle drops. Its state lives in its
//! memory, so every test starts from an empty bucket.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sync_server::s3blobs::S3BlobStore;

pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    pub bucket: String,
}

fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return p.into();
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/moto/bin/moto_server");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup (or set MOTO_SERVER)",
        p.display()
    );
    p
}

impl S3Server {
    /// Starts the server and makes an empty bucket `patrol-photos`.
    pub fn start() -> S3Server {
        crate::tls_provider();
        let mut child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto_server");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut said = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !said && let Some(at) = line.find("Running on http://") {
                    let _ = tx.send(line[at + "Running on ".len()..].trim().to_string());
                    said = true;
                }
            }
        });
        let endpoint = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("moto_server said where it listens within 60 s");
        let server = S3Server {
            child,
            endpoint,
            bucket: "patrol-photos".into(),
        };
        let made = reqwest::blocking::Client::new()
            .put(format!("{}/{}", server.endpoint, server.bucket))
            .send()
            .expect("create the bucket");
        assert!(made.status().is_success(), "create bucket: {made:?}");
        server
    }

    /// `s3://bucket/prefix`
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// The environment a `sync-server` process reads its endpoint and keys from.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "patrol-test"),
            ("AWS_SECRET_ACCESS_KEY", "patrol-test-secret"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// A photo store on this server under `prefix`, as the server opens it.
    pub fn store(&self, prefix: &str) -> S3BlobStore {
        let env = self.env();
        let settings: Vec<(&str, &str)> = [
            ("aws_endpoint", &env[0].1),
            ("aws_access_key_id", &env[1].1),
            ("aws_secret_access_key", &env[2].1),
            ("aws_region", &env[3].1),
            ("aws_allow_http", &env[4].1),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.as_str()))
        .collect();
        let store = S3BlobStore::open_with(&self.url(prefix), &settings).expect("open the bucket");
        store.check().expect("the bucket answers");
        store
    }

    /// Every key in the bucket (for asserting what is and is not stored).
    pub fn keys(&self) -> Vec<String> {
        let body = reqwest::blocking::Client::new()
            .get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .send()
            .and_then(|r| r.text())
            .expect("list the bucket");
        body.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
