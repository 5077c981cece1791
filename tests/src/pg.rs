//! A throwaway PostgreSQL cluster for one test: `initdb` into a temporary
//! directory, a server listening only on a Unix socket in that directory (no
//! TCP port at all), stopped and removed on drop.
//!
//! The server binaries are Debian's `postgresql-15` (`scripts/setup`
//! installs it), found under `/usr/lib/postgresql/*/bin` or at `PG_BIN`.
//! Run as root, the cluster's commands run as the `postgres` user, since
//! PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    next: AtomicU32,
    running: bool,
}

/// The directory of `initdb`, `pg_ctl` and `postgres`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect(
        "no PostgreSQL server binaries under /usr/lib/postgresql (scripts/setup installs postgresql-15) \
         and PG_BIN is not set",
    )
}

/// Whether this process runs as root: `/proc/self/status`'s effective uid.
fn as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

impl PgCluster {
    /// A new cluster, running and ready (`pg_ctl start -w` returns once the
    /// server accepts connections).
    pub fn start() -> PgCluster {
        let dir = tempfile::Builder::new()
            .prefix("pg")
            .tempdir()
            .expect("tempdir");
        let mut cluster = PgCluster {
            dir,
            bin: bin_dir(),
            next: AtomicU32::new(0),
            running: false,
        };
        if as_root() {
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .arg(cluster.dir.path())
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "cannot hand the cluster directory to postgres"
            );
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "-N".as_ref(),
            ],
        );
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c max_connections=300 -c shared_buffers=32MB",
            cluster.dir.path().display()
        );
        cluster.pg_ctl(&["-t", "120", "-o", &options, "start"]);
        cluster.running = true;
        cluster
    }

    /// Restarts the server (a fast shutdown: every connection is ended, as a
    /// database restarted by its operator or failed over), and waits until
    /// it accepts connections again.
    pub fn restart(&self) {
        self.pg_ctl(&["-m", "fast", "restart"]);
    }

    /// `pg_ctl -D DATA -l LOG -w ARGS…`: waits until the action is done.
    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data();
        let log = self.dir.path().join("server.log");
        let mut all: Vec<&std::ffi::OsStr> = vec![
            "-D".as_ref(),
            data.as_os_str(),
            "-l".as_ref(),
            log.as_os_str(),
            "-w".as_ref(),
        ];
        all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
        self.run("pg_ctl", &all);
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `program` of the cluster's binaries, as `postgres` when run as root.
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        }
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let out = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// The socket directory, as a connection's `host`.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The URL of database `name` in this cluster.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgresql://postgres@localhost/{name}?host={}",
            self.socket_dir().display()
        )
    }

    /// A new empty database; its URL.
    pub fn database(&self) -> String {
        let name = format!("db{}", self.next.fetch_add(1, Ordering::SeqCst));
        let mut admin =
            postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("connect");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(&name)
    }

    /// CPU time the cluster has used so far: the postmaster, the backends it
    /// ended and those still serving.
    pub fn cpu(&self) -> std::time::Duration {
        let pid: u32 = std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
            .expect("the postmaster's pid");
        let mut total = crate::cpu_of_with(pid, true);
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if parent == Some(pid) {
                total += crate::cpu_of(child);
            }
        }
        total
    }

    /// The `pg_dump`/`pg_restore` programs of this cluster's version.
    pub fn bin(&self, program: &str) -> PathBuf {
        self.bin.join(program)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

/// A TLS front for a cluster: what an operator's TLS-terminating proxy (or a
/// managed database's endpoint) is to the server. It listens on
/// 127.0.0.1:0, answers PostgreSQL's `SSLRequest`, completes the TLS
/// handshake with a certificate for `names` signed by its own test CA, and
/// carries the decrypted protocol to the cluster's Unix socket.
pub struct TlsFront {
    pub addr: std::net::SocketAddr,
    /// The PEM file of the CA that signed the front's certificate.
    pub ca: PathBuf,
    handshakes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

/// PostgreSQL's `SSLRequest`: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

impl TlsFront {
    /// TLS handshakes completed so far.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    /// `database`'s URL (from [`PgCluster::database`]) through this front
    /// at `host`, with `params` (`sslmode=…&sslrootcert=…`) added.
    pub fn url(&self, database: &str, host: &str, params: &str) -> String {
        let name = database
            .split_once("localhost/")
            .and_then(|(_, rest)| rest.split('?').next())
            .expect("a cluster database URL");
        format!(
            "postgresql://postgres@{host}:{}/{name}?{params}",
            self.addr.port()
        )
    }
}

impl PgCluster {
    /// A TLS front for this cluster whose certificate names `names`.
    pub fn tls_front(&self, names: &[&str]) -> TlsFront {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("test database CA {addr}"),
        );
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let key = rcgen::KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = rcgen::CertificateParams::new(names)
            .expect("names")
            .signed_by(&key, &ca)
            .expect("certificate");
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).expect("write CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let socket = self.socket_dir().join(".s.PGSQL.5432");
        let handshakes = Arc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let counted = handshakes.clone();
        runtime.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((mut tcp, _)) = listener.accept().await {
                let (acceptor, socket, counted) =
                    (acceptor.clone(), socket.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut first = [0u8; 8];
                    if tcp.read_exact(&mut first).await.is_err() || first != SSL_REQUEST {
                        return; // Only TLS is served here.
                    }
                    if tcp.write_all(b"S").await.is_err() {
                        return;
                    }
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return; // The client refused the certificate.
                    };
                    counted.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut db) = tokio::net::UnixStream::connect(&socket).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut db).await;
                });
            }
        });
        TlsFront {
            addr,
            ca: ca_path,
            handshakes,
            _dir: dir,
            _runtime: runtime,
        }
    }
}
