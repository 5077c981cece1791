//! The `sync-server` command line: serve, seed demo data, administer sites, users and tokens.

use crate::accounts::{self, NewUser};
use crate::api::ServeOptions;
use crate::sqlite::SqliteStore;
use crate::store::Store;
use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};
use shared::codes::{Department, Role};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "sync-server",
    version,
    about = "Patrol-inspection sync server and issue tracker (巡查同步服务)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DataDir {
    /// Directory of the embedded SQLite database.
    #[arg(long, env = "SYNC_SERVER_DATA_DIR", default_value = "server-data")]
    pub data_dir: PathBuf,
    /// Keep the database in PostgreSQL instead (`postgres://user:password@host/db`),
    /// shared by every replica; the data directory then holds only photos
    /// (unless `--blob-url` puts those elsewhere too).
    #[arg(long, env = "SYNC_SERVER_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections to PostgreSQL this process keeps at most (replicas ×
    /// this must stay under the database's `max_connections`).
    #[arg(
        long,
        env = "SYNC_SERVER_DATABASE_CONNECTIONS",
        default_value_t = crate::pg::CONNECTIONS,
        value_parser = clap::value_parser!(u16).range(1..=1000)
    )]
    pub database_connections: u16,
}

/// Where photos are kept: a directory (the default) or an S3-compatible bucket.
#[derive(clap::Args, Debug, Clone)]
pub struct Photos {
    /// Directory of photo files (default: `blobs` in the data directory).
    #[arg(long, env = "SYNC_SERVER_BLOB_DIR", conflicts_with = "blob_url")]
    pub blob_dir: Option<PathBuf>,
    /// Keep photos in S3-compatible object storage instead: `s3://bucket/prefix`.
    /// Endpoint, region and keys come from `AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (`AWS_ALLOW_HTTP=true`
    /// for a plain-HTTP endpoint).
    #[arg(long, env = "SYNC_SERVER_BLOB_URL")]
    pub blob_url: Option<String>,
}

impl Photos {
    /// Opens the photo store these arguments name.
    pub fn open(&self, dir: &DataDir) -> anyhow::Result<Arc<dyn crate::blobs::BlobStore>> {
        if let Some(url) = &self.blob_url {
            return Ok(Arc::new(open_bucket(url)?));
        }
        let blob_dir = self
            .blob_dir
            .clone()
            .unwrap_or_else(|| dir.data_dir.join("blobs"));
        let blobs = crate::blobs::DirBlobStore::open(&blob_dir)
            .with_context(|| format!("cannot open the photo directory {}", blob_dir.display()))?;
        Ok(Arc::new(blobs))
    }
}

/// Opens `s3://bucket/prefix` and lists it once, so a wrong address or key
/// is told now rather than at the first photo.
fn open_bucket(url: &str) -> anyhow::Result<crate::s3blobs::S3BlobStore> {
    let s3 = crate::s3blobs::S3BlobStore::open(url).map_err(|e| anyhow::anyhow!(e))?;
    s3.check()
        .with_context(|| format!("cannot reach the photo bucket {url}"))?;
    Ok(s3)
}

/// How the server writes its log.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve devices and the API.
    Serve {
        #[command(flatten)]
        dir: DataDir,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, env = "SYNC_SERVER_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// PEM certificate chain; with --tls-key, serve HTTPS.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        #[command(flatten)]
        photos: Photos,
        /// Font file (`path[:face]`) for photo captions; otherwise fontconfig finds a CJK font.
        #[arg(long, env = "PATROL_CAPTION_FONT")]
        caption_font: Option<PathBuf>,
        /// The built web dashboard (default: `app/ui/dist` when it exists).
        #[arg(long, env = "SYNC_SERVER_UI_DIR")]
        ui_dir: Option<PathBuf>,
        /// POST each reminder and escalation as JSON to this URL (retried with backoff).
        #[arg(long, env = "SYNC_SERVER_WEBHOOK_URL")]
        webhook_url: Option<String>,
        /// Seconds between runs of the reminder job; 0 turns it off.
        #[arg(long, default_value_t = 60)]
        job_every_secs: u64,
        /// Log lines as plain text for people, or one JSON object per line
        /// for a log collector.
        #[arg(long, env = "SYNC_SERVER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Fill an empty data directory with the demo site `DEMO`: its plan,
    /// people and schedules, and the past three weeks of patrols, findings,
    /// fixes and complaints so every screen has something to show.
    DemoSeed {
        #[command(flatten)]
        dir: DataDir,
        /// Only the plan, people and schedules: no history.
        #[arg(long)]
        empty: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage sites.
    #[command(subcommand)]
    Site(SiteCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage device tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Printable records: the rectification notice (整改通知单).
    #[command(subcommand)]
    Report(ReportCmd),
    /// The ledger (台账) of accepted changes: verify its hash chain, export it.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// The equipment register (设施设备台账): import and export as CSV, list with standings.
    #[command(subcommand)]
    Equipment(EquipmentCmd),
    /// Patrol schedules: tasks with due windows that devices receive at sync.
    #[command(subcommand)]
    Schedule(ScheduleCmd),
    /// Double-random spot checks (双随机): draw, and replay a recorded draw.
    #[command(subcommand)]
    SpotCheck(SpotCheckCmd),
    /// Launch a one-off (emergency) patrol for chosen inspectors (应急巡查).
    Launch {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// What it is for (台风前防汛检查).
        #[arg(long)]
        name: String,
        /// A checkpoint (repeatable)…
        #[arg(long = "checkpoint", conflicts_with = "zone")]
        checkpoints: Vec<String>,
        /// …or every checkpoint of a zone.
        #[arg(long)]
        zone: Option<String>,
        /// An inspector who walks it (repeatable).
        #[arg(long = "inspector", required = true)]
        inspectors: Vec<String>,
        /// Window start (RFC 3339); default: now.
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Window length in hours.
        #[arg(long, default_value_t = 12)]
        hours: u32,
        /// Who launches it (recorded).
        #[arg(long, default_value = "admin")]
        by: String,
    },
    /// Repeat problems (same checkpoint and category within the site's window) and root-cause records.
    Repeats {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
    },
    /// Coverage: checkpoints checked inside their task windows / due.
    Coverage {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// First local day, YYYY-MM-DD.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last local day (inclusive); default: `from`.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
    /// A site's KPIs for a period (shared::kpi defines them), with the
    /// period before; `--by` breaks them down.
    Analytics {
        #[command(flatten)]
        dir: DataDir,
        /// The site (its code); repeat it, or give `all`, for the league table
        /// of several sites (the group view: the figures alone, one row per site).
        #[arg(long, required = true)]
        site: Vec<String>,
        /// 2026-11 (month), 2026-W45 (ISO week), 2026-11-03 (day) or 2026-11-01..2026-11-15.
        #[arg(long)]
        period: String,
        /// zone, route, category, grade, department, inspector or assignee.
        #[arg(long)]
        by: Option<shared::kpi::By>,
        /// Print the report as JSON (the API's shape).
        #[arg(long)]
        json: bool,
    },
    /// Move an embedded installation's photos into S3-compatible storage:
    /// every finished photo is copied into an empty bucket, read back and
    /// checked by hash; then start the server with `--blob-url`. The photo
    /// directory is left as it was.
    #[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["to", "blobs_to"])))]
    Migrate {
        /// The data directory whose database and photos move.
        #[arg(long)]
        from: PathBuf,
        /// Copy the database into this empty PostgreSQL database
        /// (`postgres://user:password@host/db`).
        #[arg(long)]
        to: Option<String>,
        /// Its photo directory (default: FROM/blobs).
        #[arg(long)]
        blob_dir: Option<PathBuf>,
        /// Copy the photos into this bucket: `s3://bucket/prefix` (endpoint and
        /// keys from the environment, as for `serve --blob-url`).
        #[arg(long)]
        blobs_to: Option<String>,
    },
    /// Write a consistent copy of the database while the server runs, and copy
    /// the photos beside it (into `FILE.photos/`); everything is fsynced.
    Backup {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        to: PathBuf,
        /// The photo directory (default: DIR/blobs).
        #[arg(long, env = "SYNC_SERVER_BLOB_DIR")]
        blob_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SiteCmd {
    Add {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Days given to fix a `deadline`-grade issue.
        #[arg(long, default_value_t = 3)]
        deadline_days: u32,
        /// Days given to a `long_term` issue.
        #[arg(long, default_value_t = 30)]
        long_term_days: u32,
        /// The site's local time, minutes east of UTC (Asia/Shanghai: 480).
        #[arg(long, default_value_t = 480, allow_hyphen_values = true)]
        utc_offset_minutes: i32,
    },
    /// Order a route's checkpoints for a short walk by their floor-plan coordinates.
    OrderRoute {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
        #[arg(long)]
        route: String,
    },
    /// Change a site's settings.
    Set {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
        /// Devices keep each photo's camera original beside its upload copy.
        #[arg(long, action = clap::ArgAction::Set)]
        keep_originals: Option<bool>,
        /// The same problem at the same checkpoint within this many days is a repeat.
        #[arg(long)]
        repeat_window_days: Option<u32>,
        /// Hours before an open issue's deadline that the reminder goes out.
        #[arg(long)]
        remind_hours: Option<u32>,
        /// Hours a rectified issue may wait for verification before the managers are reminded.
        #[arg(long)]
        verify_hours: Option<u32>,
        /// Hours a verified complaint may wait for its call-back before customer service is reminded.
        #[arg(long)]
        callback_hours: Option<u32>,
        /// Days a root-cause task has for its analysis.
        #[arg(long)]
        root_cause_days: Option<u32>,
        /// Days ahead of an equipment maintenance or inspection due date that the managers are reminded.
        #[arg(long)]
        equipment_remind_days: Option<u32>,
    },
    /// Import checklists and checkpoints from CSV (UTF-8; Chinese or English headers).
    /// Every row is checked first; one bad row and nothing is imported.
    Import {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
        /// Checklist items: 检查表编码, 检查表名称, 检查项编码, 检查项, 类别, 方式, 下限, 上限, 单位.
        #[arg(long)]
        checklists: Option<PathBuf>,
        /// Checkpoints: 区域编码, 区域名称, 区域类型, 点位编码, 点位名称, 坐标X, 坐标Y, 检查表编码, 频率, 路线.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// Complaint service levels: 投诉类型, 紧急程度, 响应时限(分钟), 解决时限(小时).
        #[arg(long)]
        sla: Option<PathBuf>,
    },
    /// Write checklists.csv, checkpoints.csv and sla.csv, in the format `import` reads.
    Export {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
        /// Directory to write into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the secret that signs the site's webhook calls (`x-patrol-signature`).
    WebhookSecret {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
    },
    /// Write printable QR label sheets: page-01.svg, … and sheet.html (all pages).
    QrSheet {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        code: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    Add {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
        #[arg(long)]
        site: String,
        #[arg(long, env = "SYNC_SERVER_PASSWORD")]
        password: String,
        #[arg(long)]
        department: Option<Department>,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Disable a user and revoke their tokens.
    Disable {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
    },
    /// Give a user a role at another site (a manager of several estates, the
    /// group quality office); the home site's role stays on the user.
    Grant {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
        #[arg(long)]
        site: String,
        #[arg(long)]
        role: Role,
        #[arg(long)]
        department: Option<Department>,
    },
    /// Take a user's role at another site away (their logins there end).
    Ungrant {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
        #[arg(long)]
        site: String,
    },
    /// The sites a user holds a role at, home first.
    Sites {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
    },
    /// Set a new password.
    Password {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
        #[arg(long, env = "SYNC_SERVER_PASSWORD")]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ScheduleCmd {
    /// Add a schedule, or replace the one with the same code.
    Add {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// The route whose checkpoints the tasks cover…
        #[arg(long, conflicts_with = "checkpoint")]
        route: Option<String>,
        /// …or single checkpoints (repeatable).
        #[arg(long)]
        checkpoint: Vec<String>,
        /// daily, weekly, monthly, or weekdays such as mon,wed,fri.
        #[arg(long)]
        every: String,
        /// Daily time window, e.g. 22:00-02:00 (a night patrol past midnight).
        #[arg(long)]
        window: Option<String>,
        /// A season that repeats differently: NAME:MM-DD..MM-DD:REPEAT (repeatable).
        #[arg(long)]
        season: Vec<String>,
        /// The inspector the tasks are for (user name); default: any inspector.
        #[arg(long)]
        assignee: Option<String>,
    },
    Remove {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        #[arg(long)]
        code: String,
    },
    /// List the schedules and the tasks of the coming days.
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// Days of tasks to show, from today.
        #[arg(long, default_value_t = 1)]
        days: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum SpotCheckCmd {
    /// Draw checkpoints and an inspector at random; the draw is recorded.
    Draw {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// How many checkpoints.
        #[arg(long)]
        n: usize,
        /// Only this zone (code).
        #[arg(long)]
        zone: Option<String>,
        /// Window start (RFC 3339); default: now.
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Window length in hours.
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Who draws (recorded).
        #[arg(long, default_value = "admin")]
        by: String,
    },
    /// Draw again from a recorded draw's seed and check the result is the same.
    Replay {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        #[arg(long)]
        code: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Revoke every token of a user (lost device).
    Revoke {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        user: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// One issue's rectification notice (整改通知单), A4 PDF.
    Notice {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// The issue id.
        #[arg(long)]
        issue: String,
        /// F.pdf
        #[arg(long)]
        out: PathBuf,
        /// Where the dashboard is, for the QR code.
        #[arg(
            long,
            env = "SYNC_SERVER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        #[command(flatten)]
        photos: Photos,
        /// A font with Chinese glyphs (default: found as for photo captions).
        #[arg(long, env = "PATROL_CAPTION_FONT")]
        caption_font: Option<PathBuf>,
    },
    /// The monthly quality report (月度品质报告), A4 PDF or the data as .xlsx:
    /// the stored copy when the server's job has made it, else made now.
    Monthly {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        period: String,
        /// F.pdf or F.xlsx
        #[arg(long)]
        out: PathBuf,
        /// A font with Chinese glyphs (default: found as for photo captions).
        #[arg(long, env = "PATROL_CAPTION_FONT")]
        caption_font: Option<PathBuf>,
    },
    /// The patrol record sheet (巡查记录表) of one day, A4 PDF or .xlsx.
    PatrolSheet {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// The local day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Only this route (its code).
        #[arg(long)]
        route: Option<String>,
        /// Only this inspector (user name).
        #[arg(long)]
        inspector: Option<String>,
        /// F.pdf or F.xlsx
        #[arg(long)]
        out: PathBuf,
        /// A font with Chinese glyphs (default: found as for photo captions).
        #[arg(long, env = "PATROL_CAPTION_FONT")]
        caption_font: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCmd {
    /// Recompute a site's hash chain; exit 1 naming the first entry that does not match.
    Verify {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
    },
    /// Write the entries received in a range of local days (both included), with their hashes.
    Export {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// YYYY-MM-DD
        #[arg(long)]
        from: String,
        /// YYYY-MM-DD (included)
        #[arg(long)]
        to: String,
        /// F.csv or F.xlsx
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum EquipmentCmd {
    /// Add and update equipment from CSV by code (设备编号, 设备名称, 设备类型, 位置,
    /// 巡查点, 保养周期(天), 上次保养, 年检到期, 备注, 报废). Every row is checked
    /// first; one bad row and nothing is imported. Nothing missing is deleted.
    Import {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// equipment.csv (UTF-8 or GBK)
        #[arg(long)]
        file: PathBuf,
    },
    /// Write the register as CSV, in the columns the import reads.
    Export {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// F.csv
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the register with each row's standing and 设施合规率 by kind.
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        site: String,
        /// The local day to judge on (YYYY-MM-DD; default: today).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database the arguments name: PostgreSQL with a database URL,
/// else the embedded SQLite file in the data directory.
pub fn open(dir: &DataDir) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(url) = &dir.database_url {
        let store = crate::pg::PgStore::open_with(url, usize::from(dir.database_connections))
            .with_context(|| format!("cannot open the database {}", crate::pg::redacted(url)))?;
        return Ok(Arc::new(store));
    }
    let store = SqliteStore::open(&dir.data_dir)
        .with_context(|| format!("cannot open the database in {}", dir.data_dir.display()))?;
    Ok(Arc::new(store))
}

fn with_txn<T>(
    dir: &DataDir,
    f: impl FnOnce(&mut dyn crate::store::Txn) -> Result<T, accounts::AccountError>,
) -> anyhow::Result<T> {
    let store = open(dir)?;
    let mut txn = store.begin()?;
    let out = f(&mut *txn)?;
    txn.commit()?;
    Ok(out)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let now = Utc::now();
    match cli.command {
        Command::Serve {
            dir,
            listen,
            tls_cert,
            tls_key,
            photos,
            caption_font,
            ui_dir,
            webhook_url,
            job_every_secs,
            log_format,
        } => {
            let logs = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("SYNC_SERVER_LOG")
                        .unwrap_or_else(|_| "warn".into()),
                )
                .with_writer(std::io::stderr);
            match log_format {
                LogFormat::Text => logs.init(),
                LogFormat::Json => logs.json().flatten_event(true).init(),
            }
            let store: Arc<dyn Store> = open(&dir)?;
            let rebuilt = crate::sync::refresh_projections(&*store)
                .context("cannot rebuild the tracker's rows from the documents")?;
            if rebuilt > 0 {
                eprintln!("rebuilt the tracker rows of {rebuilt} issue(s) from their documents");
            }
            let blobs = photos.open(&dir)?;
            let ui_dir = ui_dir.or_else(|| {
                let default = PathBuf::from("app/ui/dist");
                default.is_dir().then_some(default)
            });
            let state = crate::api::AppState::new(store.clone(), blobs.clone())
                .with_caption_font(caption_font.clone())
                .with_ui_dir(ui_dir);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            if job_every_secs > 0 {
                let hook = webhook_url.map(|url| crate::jobs::Webhook {
                    url,
                    timeout: std::time::Duration::from_secs(10),
                });
                let _guard = runtime.enter();
                crate::jobs::spawn(
                    store,
                    hook,
                    caption_font,
                    std::time::Duration::from_secs(job_every_secs),
                    state.metrics.clone(),
                );
            }
            {
                let _guard = runtime.enter();
                crate::jobs::spawn_partial_expiry(blobs, state.metrics.clone());
            }
            runtime.block_on(crate::api::serve(
                state,
                ServeOptions {
                    listen,
                    tls: tls_cert.zip(tls_key),
                },
                shutdown_signal(),
            ))?;
        }
        Command::DemoSeed { dir, empty, json } => {
            let summary = with_txn(&dir, |txn| {
                let mut summary = crate::seed::seed(txn, now)?;
                crate::seed::demo_schedules(txn, now)?;
                if !empty {
                    summary.past = Some(crate::seed::demo_past(txn, now, 21)?);
                    crate::seed::demo_history(txn, now)?;
                    crate::seed::demo_equipment(txn, now)?;
                }
                let group = crate::seed::demo_group(txn, now, !empty)?;
                summary.users.extend(group);
                Ok(summary)
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "demo site {} {} created in {}",
                    summary.site,
                    summary.site_name,
                    dir.data_dir.display()
                );
                println!("users (name / home site / role / password):");
                for u in &summary.users {
                    println!(
                        "  {:<13} {:<5} {:<16} {}",
                        u.name,
                        u.site,
                        u.role.code(),
                        u.password
                    );
                }
                println!(
                    "group1 (集团品质) also reaches EAST, the group's second estate; the dashboard switches between them"
                );
                for r in &summary.routes {
                    println!(
                        "route {} {}: {} checkpoints",
                        r.code,
                        r.name,
                        r.checkpoints.len()
                    );
                }
                if let Some(p) = &summary.past {
                    println!(
                        "the past {} days: {} patrol rounds ({} missed), {} checkpoint results, {} findings, {} complaints",
                        p.days,
                        p.patrol_runs,
                        p.skipped_rounds,
                        p.checkpoint_results,
                        p.findings,
                        p.complaints
                    );
                }
            }
        }
        Command::Site(SiteCmd::Add {
            dir,
            code,
            name,
            deadline_days,
            long_term_days,
            utc_offset_minutes,
        }) => {
            let deadlines = shared::deadline::DeadlinePolicy {
                utc_offset_minutes,
                deadline_days,
                long_term_days,
                ..Default::default()
            };
            let site = with_txn(&dir, |txn| {
                accounts::add_site_with(txn, &code, &name, deadlines, now)
            })?;
            println!("site {} {} added ({})", site.code, site.name, site.id);
        }
        Command::Site(SiteCmd::Import {
            dir,
            code,
            checklists,
            checkpoints,
            sla,
        }) => {
            if checklists.is_none() && checkpoints.is_none() && sla.is_none() {
                bail!("give --checklists, --checkpoints, --sla or several");
            }
            let read = |file: &'static str,
                        path: &Option<PathBuf>|
             -> anyhow::Result<Option<String>> {
                let Some(path) = path else { return Ok(None) };
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok(Some(
                    crate::plan_csv::decode(file, &bytes).map_err(|e| anyhow::anyhow!("{e}"))?,
                ))
            };
            let checklists = read(crate::plan_csv::CHECKLISTS_FILE, &checklists)?;
            let checkpoints = read(crate::plan_csv::CHECKPOINTS_FILE, &checkpoints)?;
            let sla = read(crate::plan_csv::SLA_FILE, &sla)?;
            let r = with_txn(&dir, |txn| {
                accounts::import_csv(
                    txn,
                    &code,
                    accounts::CsvFiles {
                        checklists: checklists.as_deref(),
                        checkpoints: checkpoints.as_deref(),
                        sla: sla.as_deref(),
                    },
                    now,
                )
            })?;
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            println!("site {code}: imported");
            println!(
                "  checklists: new {}; new versions {}; {} unchanged",
                list(&r.templates_added),
                list(&r.templates_revised),
                r.templates_unchanged
            );
            println!("  zones: new {}", list(&r.zones_added));
            println!(
                "  checkpoints: {} new, {} updated, {} unchanged",
                r.checkpoints_added, r.checkpoints_updated, r.checkpoints_unchanged
            );
            println!("  routes: new {}", list(&r.routes_added));
            println!("  default schedules: new {}", list(&r.schedules_added));
            println!("  complaint service levels: {} cell(s) set", r.sla_cells);
        }
        Command::Site(SiteCmd::Export { dir, code, out }) => {
            let plan = with_txn(&dir, |txn| {
                let site = accounts::site(txn, &code)?;
                Ok(accounts::load_plan(txn, &site)?.1)
            })?;
            std::fs::create_dir_all(&out)?;
            for (file, text) in [
                (
                    crate::plan_csv::CHECKLISTS_FILE,
                    crate::plan_csv::export_checklists(&plan),
                ),
                (
                    crate::plan_csv::CHECKPOINTS_FILE,
                    crate::plan_csv::export_checkpoints(&plan),
                ),
                (
                    crate::plan_csv::SLA_FILE,
                    crate::plan_csv::export_sla(&plan.site.complaint_sla),
                ),
            ] {
                let path = out.join(file);
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
        }
        Command::Site(SiteCmd::QrSheet { dir, code, out }) => {
            let plan = with_txn(&dir, |txn| {
                let site = accounts::site(txn, &code)?;
                Ok(accounts::load_plan(txn, &site)?.1)
            })?;
            std::fs::create_dir_all(&out)?;
            let labels = crate::qr::labels(&plan);
            let pages = crate::qr::page_count(labels.len());
            for page in 1..=pages {
                let path = out.join(format!("page-{page:02}.svg"));
                std::fs::write(&path, crate::qr::page_svg(&plan.site.name, &labels, page))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            std::fs::write(out.join("sheet.html"), crate::qr::sheet_html(&plan))?;
            println!(
                "{} labels on {pages} page(s) in {} (page-NN.svg; sheet.html prints them all)",
                labels.len(),
                out.display()
            );
        }
        Command::Site(SiteCmd::OrderRoute { dir, code, route }) => {
            let r = with_txn(&dir, |txn| accounts::order_route(txn, &code, &route, now))?;
            println!(
                "route {route}: walk {:.0} m → {:.0} m; order {}",
                r.before,
                r.after,
                r.order.join(" → ")
            );
        }
        Command::Site(SiteCmd::Set {
            dir,
            code,
            keep_originals,
            repeat_window_days,
            remind_hours,
            verify_hours,
            callback_hours,
            root_cause_days,
            equipment_remind_days,
        }) => {
            let settings = shared::wire::SiteSettings {
                equipment_remind_days,
                keep_originals,
                repeat_window_days,
                remind_hours,
                verify_hours,
                callback_hours,
                root_cause_days,
                complaint_sla: Vec::new(),
                departments: Vec::new(),
                csi_weights: None,
            };
            let site = with_txn(&dir, |txn| {
                accounts::apply_settings(txn, &code, &settings, now)
            })?;
            let d = &site.deadlines;
            println!(
                "site {}: devices {} camera originals; repeats within {} days; reminders {} h before deadlines; \
                 verification awaited {} h, call-backs {} h; root-cause analysis within {} days; \
                 equipment reminded {} days ahead",
                site.code,
                if site.keep_originals {
                    "keep"
                } else {
                    "do not keep"
                },
                site.repeat_window_days,
                d.remind_hours,
                d.verify_hours,
                d.callback_hours,
                d.root_cause_days,
                d.equipment_remind_days
            );
        }
        Command::User(UserCmd::Add {
            dir,
            name,
            role,
            site,
            password,
            department,
            display_name,
        }) => {
            let u = with_txn(&dir, |txn| {
                accounts::add_user(
                    txn,
                    NewUser {
                        name: &name,
                        display_name: display_name.as_deref(),
                        role,
                        site: &site,
                        password: &password,
                        department,
                    },
                    now,
                )
            })?;
            println!("user {} ({}) added to site {site}", u.name, u.role.code());
        }
        Command::User(UserCmd::Disable { dir, name }) => {
            let revoked = with_txn(&dir, |txn| accounts::disable_user(txn, &name, now))?;
            println!("user {name} disabled; {revoked} device token(s) revoked");
        }
        Command::User(UserCmd::Grant {
            dir,
            name,
            site,
            role,
            department,
        }) => {
            with_txn(&dir, |txn| {
                accounts::grant_site(txn, &name, &site, role, department, now)
            })?;
            println!("user {name} is {} at site {site}", role.code());
        }
        Command::User(UserCmd::Ungrant { dir, name, site }) => {
            with_txn(&dir, |txn| accounts::revoke_site(txn, &name, &site, now))?;
            println!("user {name} holds no role at site {site} any more");
        }
        Command::User(UserCmd::Sites { dir, name }) => {
            let sites = with_txn(&dir, |txn| {
                let u = txn
                    .user_by_name(name.trim())?
                    .ok_or_else(|| accounts::AccountError::UnknownUser(name.clone()))?;
                Ok(accounts::site_roles(&accounts::sites_of(txn, &u)?))
            })?;
            for (i, s) in sites.iter().enumerate() {
                let home = if i == 0 { " (home)" } else { "" };
                println!("{}\t{}\t{}{home}", s.code, s.role.code(), s.name);
            }
        }
        Command::User(UserCmd::Password {
            dir,
            name,
            password,
        }) => {
            with_txn(&dir, |txn| accounts::set_password(txn, &name, &password))?;
            println!("password of {name} changed");
        }
        Command::Report(ReportCmd::Notice {
            dir,
            site,
            issue,
            out,
            public_url,
            photos,
            caption_font,
        }) => {
            let id: shared::ids::IssueId = issue
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("`{issue}` is not an issue id: {e}"))?;
            let store = open(&dir)?;
            let blobs = photos.open(&dir)?;
            let mut txn = store.read()?;
            let site = accounts::site(&mut *txn, &site)?;
            let (_, plan) = accounts::load_plan(&mut *txn, &site)?;
            let link = format!("{}/#/issues/{id}", public_url.trim_end_matches('/'));
            let notice = crate::forms::load_notice(&mut *txn, &*blobs, plan, id, link)
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let fonts = photo::stamp::Fonts::discover(caption_font.as_deref());
            let pdf = crate::forms::notice_pdf(&notice, crate::forms::font(&fonts)?)?;
            std::fs::write(&out, &pdf)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "notice {} ({} photos) written to {}",
                crate::forms::notice_number(&notice.view, &notice.plan),
                notice.photos.len(),
                out.display()
            );
        }
        Command::Report(ReportCmd::Monthly {
            dir,
            site,
            period,
            out,
            caption_font,
        }) => {
            let format = crate::sheet::Format::of_path(&out)
                .ok_or_else(|| anyhow::anyhow!("--out must end in .pdf or .xlsx"))?;
            crate::monthly::parse_month(&period)?;
            let store = open(&dir)?;
            let plan = {
                let mut txn = store.read()?;
                let site = accounts::site(&mut *txn, &site)?;
                accounts::load_plan(&mut *txn, &site)?.1
            };
            let code = plan.site.code.to_string();
            let fonts = photo::stamp::Fonts::discover(caption_font.as_deref());
            let (bytes, stored) =
                crate::monthly::fetch(&*store, plan, &period, format, &fonts, chrono::Utc::now())
                    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "monthly report of {code} for {} ({}) written to {}",
                period.trim(),
                if stored {
                    "the stored copy"
                } else {
                    "made now"
                },
                out.display()
            );
        }
        Command::Report(ReportCmd::PatrolSheet {
            dir,
            site,
            date,
            route,
            inspector,
            out,
            caption_font,
        }) => {
            let format = crate::sheet::Format::of_path(&out)
                .ok_or_else(|| anyhow::anyhow!("--out must end in .pdf or .xlsx"))?;
            let date = crate::sheet::parse_date(&date)?;
            let store = open(&dir)?;
            let mut txn = store.read()?;
            let site = accounts::site(&mut *txn, &site)?;
            let (_, plan) = accounts::load_plan(&mut *txn, &site)?;
            let sheet = crate::sheet::load(
                &mut *txn,
                plan,
                date,
                route.as_deref(),
                inspector.as_deref(),
                &|_| true,
            )
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let fonts = photo::stamp::Fonts::discover(caption_font.as_deref());
            let bytes = crate::sheet::file(&sheet, format, &fonts)
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "patrol sheet {} ({} runs, {} results) written to {}",
                sheet.scope(),
                sheet.runs.len(),
                sheet.runs.iter().map(|r| r.results.len()).sum::<usize>(),
                out.display()
            );
        }
        Command::Ledger(LedgerCmd::Verify { dir, site }) => {
            let store = open(&dir)?;
            let mut txn = store.read()?;
            let site = accounts::site(&mut *txn, &site)?;
            match crate::ledger::verify(&mut *txn, site.id)? {
                crate::ledger::Verified::Whole { entries, head } => {
                    println!(
                        "ledger of {}: {entries} entries, the chain is whole; head {head}",
                        site.code
                    );
                }
                crate::ledger::Verified::Broken { n, reason } => {
                    println!("ledger of {}: BROKEN at entry {n}: {reason}", site.code);
                    bail!(
                        "the ledger of {} does not verify (first bad entry: {n})",
                        site.code
                    );
                }
            }
        }
        Command::Ledger(LedgerCmd::Export {
            dir,
            site,
            from,
            to,
            out,
        }) => {
            let store = open(&dir)?;
            let mut txn = store.read()?;
            let site = accounts::site(&mut *txn, &site)?;
            let (a, b) = crate::ledger::days(&from, &to, site.deadlines.offset())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let entries = txn.ledger_between(site.id, a, b)?;
            let table = crate::ledger::table(&entries);
            let bytes = match out.extension().and_then(|e| e.to_str()) {
                Some("csv") => crate::analytics::csv(&table),
                Some("xlsx") => crate::analytics::xlsx(&table)?,
                _ => bail!("--out must end in .csv or .xlsx"),
            };
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{} ledger entries written to {}",
                entries.len(),
                out.display()
            );
        }
        Command::Equipment(EquipmentCmd::Import { dir, site, file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let text = crate::plan_csv::decode(crate::equipment::EQUIPMENT_FILE, &bytes)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let r = with_txn(&dir, |txn| crate::equipment::import(txn, &site, &text, now))?;
            println!(
                "equipment of {site}: {} added, {} updated, {} unchanged",
                r.added, r.updated, r.unchanged
            );
        }
        Command::Equipment(EquipmentCmd::Export { dir, site, out }) => {
            let store = open(&dir)?;
            let mut txn = store.read()?;
            let site = accounts::site(&mut *txn, &site)?;
            let list = txn.equipment_of(site.id)?;
            std::fs::write(&out, crate::equipment::export(&list))
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{} equipment written to {}", list.len(), out.display());
        }
        Command::Equipment(EquipmentCmd::List { dir, site, date }) => {
            let store = open(&dir)?;
            let mut txn = store.read()?;
            let site = accounts::site(&mut *txn, &site)?;
            let at = match date {
                // The day's noon in the site's time.
                Some(d) => d
                    .and_hms_opt(12, 0, 0)
                    .and_then(|t| t.and_local_timezone(site.deadlines.offset()).single())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(now),
                None => now,
            };
            let r = crate::equipment::register(&mut *txn, &site, at)?;
            println!(
                "equipment of {} on {} ({} in the register):",
                r.site,
                r.today,
                r.items.len()
            );
            for v in &r.items {
                let e = &v.equipment;
                println!(
                    "{}\t{}\t{}\t保养 {}{}\t年检 {}{}\t{}{}",
                    e.code,
                    e.kind.label_zh(),
                    e.name,
                    v.maintenance.label_zh(),
                    v.next_maintenance
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default(),
                    v.inspection.label_zh(),
                    e.inspection_due
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default(),
                    if e.retired {
                        "报废"
                    } else if v.compliant {
                        "合规"
                    } else {
                        "不合规"
                    },
                    e.certificate
                        .as_ref()
                        .map(|c| format!("\t证书 {}", c.file_name))
                        .unwrap_or_default()
                );
            }
            let pct = |f: &shared::kpi::Figure| {
                f.value
                    .map(|v| format!("{:.1}%", v * 100.0))
                    .unwrap_or_else(|| "—".into())
            };
            println!(
                "设施合规率 {} ({}/{})",
                pct(&r.compliance.rate),
                r.compliance.rate.numerator,
                r.compliance.rate.denominator
            );
            for k in &r.compliance.kinds {
                println!(
                    "  {} {} ({}/{})",
                    k.kind.label_zh(),
                    pct(&k.rate),
                    k.rate.numerator,
                    k.rate.denominator
                );
            }
        }
        Command::Token(TokenCmd::Revoke { dir, user }) => {
            let n = with_txn(&dir, |txn| accounts::revoke_tokens(txn, &user))?;
            println!("{n} token(s) of {user} revoked");
        }
        Command::Schedule(ScheduleCmd::Add {
            dir,
            site,
            code,
            name,
            route,
            checkpoint,
            every,
            window,
            season,
            assignee,
        }) => {
            let spec = crate::planning::ScheduleSpec {
                code,
                name,
                route,
                checkpoints: checkpoint,
                repeat: every,
                window,
                seasons: season,
                assignee,
            };
            let s = with_txn(&dir, |txn| {
                crate::planning::put_schedule(txn, &site, &spec, now)
            })?;
            println!(
                "schedule {}: {} {}",
                s.code,
                s.repeat,
                s.window
                    .map(|w| w.to_string())
                    .unwrap_or_else(|| "all day".into())
            );
        }
        Command::Schedule(ScheduleCmd::Remove { dir, site, code }) => {
            with_txn(&dir, |txn| {
                crate::planning::remove_schedule(txn, &site, &code, now)
            })?;
            println!("schedule {code} removed");
        }
        Command::Schedule(ScheduleCmd::List { dir, site, days }) => {
            let plan = with_txn(&dir, |txn| {
                let site = accounts::site(txn, &site)?;
                Ok(accounts::load_plan(txn, &site)?.1)
            })?;
            for s in &plan.schedules {
                let seasons: Vec<String> = s
                    .seasons
                    .iter()
                    .map(|x| format!("{} {}..{} {}", x.name, x.from, x.until, x.repeat))
                    .collect();
                println!(
                    "{:<12} {}  {} {}{}",
                    s.code,
                    s.name,
                    s.repeat,
                    s.window
                        .map(|w| w.to_string())
                        .unwrap_or_else(|| "all day".into()),
                    if seasons.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", seasons.join("; "))
                    }
                );
            }
            let offset = plan.site.deadlines.offset();
            let today = now.with_timezone(&offset).date_naive();
            let end = today + chrono::Duration::days(days.max(1).into());
            for t in shared::schedule::tasks(&plan, today, end) {
                println!(
                    "task {:<24} {} → {}  {} checkpoint(s)",
                    t.key,
                    t.from.with_timezone(&offset).format("%m-%d %H:%M"),
                    t.until.with_timezone(&offset).format("%m-%d %H:%M"),
                    t.checkpoints.len()
                );
            }
        }
        Command::SpotCheck(SpotCheckCmd::Draw {
            dir,
            site,
            n,
            zone,
            from,
            hours,
            by,
        }) => {
            let from = from.unwrap_or(now);
            let req = crate::planning::DrawRequest {
                n,
                zone,
                from,
                until: from + chrono::Duration::hours(hours.into()),
            };
            let r = with_txn(&dir, |txn| {
                let sc = crate::planning::draw_spot_check(txn, &site, &req, &by, now)?;
                crate::planning::replay(txn, &site, sc.code.as_str())
            })?;
            println!(
                "spot check {} (seed {}): {} for {}",
                r.spot_check.code,
                r.spot_check.seed,
                r.checkpoint_codes.join(", "),
                r.inspector_name
            );
        }
        Command::Launch {
            dir,
            site,
            name,
            checkpoints,
            zone,
            inspectors,
            from,
            hours,
            by,
        } => {
            let from = from.unwrap_or(now);
            let req = shared::wire::AdHocRequest {
                name,
                checkpoints,
                zone,
                inspectors,
                from,
                until: from + chrono::Duration::hours(hours.into()),
            };
            let a = with_txn(&dir, |txn| {
                crate::planning::launch_adhoc(txn, &site, &req, &by, now)
            })?;
            println!(
                "one-off patrol {} {}: {} checkpoint(s) for {} inspector(s), {} → {}",
                a.code,
                a.name,
                a.checkpoints.len(),
                a.inspectors.len(),
                a.from.to_rfc3339(),
                a.until.to_rfc3339()
            );
        }
        Command::SpotCheck(SpotCheckCmd::Replay { dir, site, code }) => {
            let r = with_txn(&dir, |txn| crate::planning::replay(txn, &site, &code))?;
            println!(
                "spot check {} (seed {}): {} for {} — {}",
                r.spot_check.code,
                r.spot_check.seed,
                r.checkpoint_codes.join(", "),
                r.inspector_name,
                if r.replays {
                    "replay matches"
                } else {
                    "REPLAY DIFFERS"
                }
            );
            if !r.replays {
                bail!("the recorded draw does not replay from its seed");
            }
        }
        Command::Repeats { dir, site } => {
            let (plan, issues, causes) = with_txn(&dir, |txn| {
                let site = accounts::site(txn, &site)?;
                let (_, plan) = accounts::load_plan(txn, &site)?;
                let issues = txn.list_issues(&crate::store::IssueQuery {
                    sites: vec![site.id],
                    ..Default::default()
                })?;
                let causes = txn.root_causes(site.id)?;
                Ok((plan, issues, causes))
            })?;
            let flags = shared::repeat::repeats(&issues, plan.site.repeat_window_days);
            println!("repeats within {} days:", plan.site.repeat_window_days);
            for s in issues.iter().filter(|s| flags.contains_key(&s.id)) {
                let f = &flags[&s.id];
                println!(
                    "  {} {} {} {}{} (after {} earlier)",
                    s.id,
                    s.checkpoint.as_deref().unwrap_or("-"),
                    s.category,
                    s.title,
                    if f.after_verified {
                        " — RECURRED AFTER VERIFICATION"
                    } else {
                        ""
                    },
                    f.earlier.len()
                );
            }
            println!("root-cause records: {}", causes.len());
            for r in &causes {
                println!(
                    "  {} [{}] opened by {}, analysis due {}, {} issue(s); cause {}; whys: {}",
                    r.id,
                    r.status.code(),
                    r.trigger.code(),
                    r.due,
                    r.issues.len(),
                    r.cause.map(|c| c.code()).unwrap_or("-"),
                    r.whys.join(" / ")
                );
                for a in &r.actions {
                    println!(
                        "    {}. {} — {} by {} [{}]",
                        a.n,
                        a.action,
                        a.owner,
                        a.due,
                        a.status.code()
                    );
                }
            }
        }
        Command::Coverage {
            dir,
            site,
            from,
            to,
        } => {
            let c = with_txn(&dir, |txn| {
                let site = accounts::site(txn, &site)?;
                let (_, plan) = accounts::load_plan(txn, &site)?;
                crate::planning::coverage(txn, &plan, from, to.unwrap_or(from))
            })?;
            let pct = |r: &shared::schedule::CoverageRow| format!("{:>3.0}%", r.ratio() * 100.0);
            println!(
                "coverage {}: {}/{} {}",
                c.total.name,
                c.total.done,
                c.total.due,
                pct(&c.total)
            );
            for (what, rows) in [
                ("route", &c.by_route),
                ("zone", &c.by_zone),
                ("inspector", &c.by_inspector),
            ] {
                for r in rows {
                    println!(
                        "  {what:<9} {:<12} {:<14} {}/{} {}",
                        r.key,
                        r.name,
                        r.done,
                        r.due,
                        pct(r)
                    );
                }
            }
        }
        Command::Analytics {
            dir,
            site,
            period,
            by,
            json,
        } => {
            let store = open(&dir)?;
            let mut txn = store.begin()?;
            if site.len() > 1 || site.first().is_some_and(|s| s == "all") {
                let sites = if site.iter().any(|s| s == "all") {
                    txn.sites()?
                } else {
                    site.iter()
                        .map(|code| accounts::site(&mut *txn, code))
                        .collect::<Result<_, _>>()?
                };
                let mut plans = Vec::new();
                for s in &sites {
                    plans.push(accounts::load_plan(&mut *txn, s)?.1);
                }
                if by.is_some() {
                    bail!("--by breaks down one site; the league table compares whole sites");
                }
                let rows = crate::analytics::sites_league(&mut *txn, &plans, &period, now)
                    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                } else {
                    print!("{}", crate::analytics::rows_text(&rows));
                }
                return Ok(());
            }
            let site = accounts::site(&mut *txn, &site[0])?;
            let (_, plan) = accounts::load_plan(&mut *txn, &site)?;
            let report = crate::analytics::report(&mut *txn, &plan, &period, by, now)
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", crate::analytics::text(&report));
            }
        }
        Command::Migrate {
            from,
            to,
            blob_dir,
            blobs_to,
        } => {
            if let Some(to) = &to {
                let counts = crate::pg::import_sqlite(&from, to).with_context(|| {
                    format!("cannot copy the database into {}", crate::pg::redacted(to))
                })?;
                let rows: u64 = counts.iter().map(|(_, n)| n).sum();
                println!(
                    "{rows} row(s) in {} table(s) copied to {}, counted and checked; \
                     serve with --database-url",
                    counts.len(),
                    crate::pg::redacted(to)
                );
            }
            let Some(blobs_to) = blobs_to else {
                return Ok(());
            };
            let blob_dir = blob_dir.unwrap_or_else(|| from.join("blobs"));
            if !blob_dir.is_dir() {
                bail!("there is no photo directory at {}", blob_dir.display());
            }
            let source = crate::blobs::DirBlobStore::open(&blob_dir)?;
            let target = open_bucket(&blobs_to)?;
            let moved = crate::s3blobs::move_photos(&source, &target, &mut |done, all| {
                if done % 1000 == 0 {
                    eprintln!("{done} of {all} photos copied");
                }
            })
            .map_err(|e| anyhow::anyhow!(e))?;
            println!(
                "{} photo(s), {} bytes, copied to {blobs_to}, read back and verified; \
                 serve with --blob-url {blobs_to}",
                moved.photos, moved.bytes
            );
        }
        Command::Backup { dir, to, blob_dir } => {
            if dir.database_url.is_none() && !dir.data_dir.join("server.sqlite3").exists() {
                bail!("there is no database in {}", dir.data_dir.display());
            }
            open(&dir)?.backup_to(&to)?;
            let blob_dir = blob_dir.unwrap_or_else(|| dir.data_dir.join("blobs"));
            let photos_to = PathBuf::from(format!("{}.photos", to.display()));
            let copied = crate::blobs::copy_finished(&blob_dir, &photos_to)
                .with_context(|| format!("cannot copy the photos to {}", photos_to.display()))?;
            println!(
                "backup written to {} and {copied} photo file(s) to {}",
                to.display(),
                photos_to.display()
            );
        }
        Command::Site(SiteCmd::WebhookSecret { dir, code }) => {
            let secret = with_txn(&dir, |txn| {
                let site = accounts::site(txn, &code)?;
                Ok(txn.site_secret(site.id)?)
            })?;
            println!(
                "{}",
                secret
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
