//! The `inspect` command line: scripted devices for support staff, tests and benchmarks.

use crate::device::{Device, RaiseInput};
use crate::error::DeviceError;
use crate::net::SyncOptions;
use crate::store::IssueFilter;
use crate::sync::SyncReport;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use shared::codes::{Category, Department, Grade, Status};
use shared::issue::{EventBody, IssueView};
use shared::patrol::Answer;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "inspect",
    version,
    about = "Offline-first patrol inspection device (巡查终端)"
)]
pub struct Cli {
    /// The device's data directory (its SQLite store).
    #[arg(
        long,
        env = "INSPECT_DATA_DIR",
        global = true,
        default_value = "inspect-data"
    )]
    pub data_dir: PathBuf,
    /// Longest time a sync or login may take, in seconds.
    #[arg(long, global = true, default_value_t = 20)]
    pub timeout: u64,
    /// Extra root certificate (PEM) for a server using a private CA.
    #[arg(long, global = true)]
    pub ca_cert: Option<PathBuf>,
    /// Write events without checking the role policy and workflow locally
    /// (support and testing only; the server still judges them).
    #[arg(long, global = true, hide = true)]
    pub skip_local_checks: bool,
    /// Font file (`path[:face]`) for photo captions; otherwise fontconfig finds a CJK font.
    #[arg(long, global = true, env = "PATROL_CAPTION_FONT")]
    pub caption_font: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Log in to a sync server and fetch the site plan.
    Login {
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        #[arg(long, env = "INSPECT_PASSWORD")]
        password: String,
        /// The site to work at (its code), for a user with roles at several;
        /// default: their home site. The device then syncs that site alone.
        #[arg(long)]
        site: Option<String>,
    },
    /// Forget the login token (data stays on the device).
    Logout,
    /// Today's routes with their scheduled task windows and spot checks.
    Tasks,
    /// Reminders and escalations received at sync (marks them seen).
    Notifications,
    /// Who is logged in, pending changes, refused documents.
    Status,
    /// Walk patrol routes.
    #[command(subcommand)]
    Patrol(PatrolCmd),
    /// Raise and handle issues.
    #[command(subcommand)]
    Issue(IssueCmd),
    /// Reconcile with the server (exit 0 converged, 2 unreachable, 3 login refused, 1 other),
    /// then upload queued photos.
    Sync {
        /// Documents only; photos wait for the next sync.
        #[arg(long)]
        no_photos: bool,
    },
    /// Photo storage and uploads.
    #[command(subcommand)]
    Photos(PhotosCmd),
}

#[derive(Subcommand, Debug)]
pub enum PhotosCmd {
    /// Pending / uploaded / evicted counts and the storage budget.
    Status,
    /// The photos of one issue: role, hashes, times, upload state.
    List {
        #[command(flatten)]
        id: IdArg,
    },
    /// Write a photo as shown: upright, with its evidence caption (fetched from the server if evicted).
    Export {
        /// Hash of the photo (upload copy or thumbnail), or a unique prefix of 8+ characters.
        hash: String,
        #[arg(long)]
        out: PathBuf,
        /// Without the caption: the stored bytes, which match the hash.
        #[arg(long)]
        no_stamp: bool,
    },
    /// Set the storage budget for full-size copies, in MiB; older uploaded copies are deleted to fit.
    Budget { mib: u64 },
}

#[derive(Subcommand, Debug)]
pub enum PatrolCmd {
    /// Start walking a route.
    Start {
        #[arg(long)]
        route: String,
    },
    /// Confirm arrival at a checkpoint by its point code and show its checklist.
    Arrive {
        #[arg(long)]
        checkpoint: String,
    },
    /// Record a checkpoint of the open patrol: `--item CODE=pass|fail|na|NUMBER` for every item.
    Check {
        #[arg(long)]
        checkpoint: String,
        #[arg(long = "item", value_name = "ITEM=ANSWER")]
        items: Vec<String>,
    },
    /// Finish the open patrol.
    Finish,
    /// Show the open patrol's progress.
    Status,
}

#[derive(Args, Debug)]
pub struct IdArg {
    /// Issue id (full UUID or a unique prefix).
    pub id: String,
}

#[derive(Subcommand, Debug)]
pub enum IssueCmd {
    /// Record a new issue; prints its id.
    Raise {
        #[arg(long)]
        checkpoint: String,
        #[arg(long)]
        item: Option<String>,
        #[arg(long)]
        category: Category,
        #[arg(long)]
        grade: Grade,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A JPEG or PNG photo of the problem (repeatable).
        #[arg(long = "photo", value_name = "FILE")]
        photos: Vec<PathBuf>,
    },
    /// Assign department and person; the deadline set when the issue was
    /// raised stays unless --deadline changes it.
    Assign {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        department: Department,
        #[arg(long)]
        assignee: String,
        /// A new deadline (RFC 3339); absent: keep the issue's deadline.
        #[arg(long)]
        deadline: Option<String>,
    },
    /// Move the deadline.
    Deadline {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        deadline: String,
    },
    /// Record the rectification.
    Rectify {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        note: String,
        /// A JPEG or PNG photo of the fix (repeatable).
        #[arg(long = "photo", value_name = "FILE")]
        photos: Vec<PathBuf>,
    },
    /// Verify a rectification: accept it or reject it back to the assignee.
    Verify {
        #[command(flatten)]
        id: IdArg,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        accept: bool,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Change grade and/or category.
    Regrade {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        grade: Option<Grade>,
        #[arg(long)]
        category: Option<Category>,
    },
    /// Edit title and/or description.
    Edit {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Cancel an issue.
    Cancel {
        #[command(flatten)]
        id: IdArg,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reopen a verified issue.
    Reopen {
        #[command(flatten)]
        id: IdArg,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Add a comment.
    Comment {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        text: String,
    },
    /// Enter a resident's complaint (customer service); prints its id.
    Complaint {
        /// Where, in the resident's words.
        #[arg(long)]
        location: String,
        /// Name and phone number for the call-back.
        #[arg(long)]
        contact: String,
        #[arg(long)]
        category: Category,
        /// urgent (紧急) or normal (一般): with the category it sets the service level.
        #[arg(long, default_value = "normal")]
        urgency: shared::codes::Urgency,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Zone code, when the place is in one.
        #[arg(long)]
        zone: Option<String>,
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
    },
    /// Record the call-back to the resident; not satisfied reopens the complaint.
    Callback {
        #[command(flatten)]
        id: IdArg,
        #[arg(long, action = clap::ArgAction::Set)]
        satisfied: bool,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List issues on this device.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        status: Option<Status>,
        /// Only issues assigned to me.
        #[arg(long)]
        mine: bool,
        /// Only verified complaints waiting for their call-back (回访队列).
        #[arg(long)]
        awaiting_callback: bool,
    },
    /// Show one issue with its timeline.
    Show {
        #[command(flatten)]
        id: IdArg,
        #[arg(long)]
        json: bool,
    },
}

/// Runs the CLI and maps errors to exit codes and sentences on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inspect: {e}");
            let code = match &e {
                DeviceError::Sync(s) => s.exit_code(),
                _ => 1,
            };
            ExitCode::from(code)
        }
    }
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, DeviceError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            DeviceError::Invalid(format!(
                "`{s}` is not an RFC 3339 time such as 2026-03-01T18:00:00+08:00"
            ))
        })
}

fn print_report(r: &SyncReport) {
    println!(
        "sync: {} round trip(s); sent {} document(s), received {}; {} B up, {} B down; {} change(s) pending",
        r.rounds, r.docs_sent, r.docs_received, r.bytes_sent, r.bytes_received, r.pending
    );
    let p = &r.photos;
    if p.uploaded + p.failed.len() > 0 || p.pending > 0 {
        println!(
            "photos: {} uploaded ({} already on the server), {} B sent, {} failed, {} waiting, {} evicted",
            p.uploaded,
            p.already_there,
            p.bytes_sent,
            p.failed.len(),
            p.pending,
            p.evicted
        );
    }
    for (hash, e) in &p.failed {
        println!("photo {}: {e}", &hash[..12]);
    }
    for d in &r.refused_docs {
        println!("refused document {}: {} ({})", d.doc, d.message, d.code);
    }
    for (issue, e) in &r.refused_events {
        let reason = match &e.outcome {
            shared::issue::EventOutcome::Refused { reason, .. } => format!("refused: {reason}"),
            shared::issue::EventOutcome::Conflict { reason, .. } => format!("conflict: {reason}"),
            shared::issue::EventOutcome::Applied => continue,
        };
        println!(
            "issue {issue}: {} by {} ({}) {reason}",
            e.kind,
            e.by,
            e.role.code()
        );
    }
}

/// A span of seconds in hours and minutes (`15h`, `1h30m`, `45m`).
fn hours(s: i64) -> String {
    let (h, m) = (s / 3600, (s % 3600) / 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

fn show(view: &IssueView) {
    println!("{}  [{}] {}", view.id, view.status.label_zh(), view.title);
    println!(
        "  {} · {} · checkpoint {}",
        view.category.label_zh(),
        view.grade.label_zh(),
        view.checkpoint_code
            .as_ref()
            .map(|c| c.as_str())
            .unwrap_or("-")
    );
    if let Some(a) = &view.assignee_name {
        println!(
            "  assigned to {a} ({}) by {}",
            view.department.map(|d| d.label_zh()).unwrap_or("-"),
            view.deadline.map(|d| d.to_rfc3339()).unwrap_or_default()
        );
    }
    for t in &view.timeline {
        let outcome = match &t.outcome {
            shared::issue::EventOutcome::Applied => String::new(),
            shared::issue::EventOutcome::Refused { reason, .. } => format!("  REFUSED: {reason}"),
            shared::issue::EventOutcome::Conflict { reason, .. } => format!("  CONFLICT: {reason}"),
        };
        println!(
            "  {}  {:<13} {} ({}){}",
            t.event
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            t.event.body.kind().code(),
            t.event.by_name,
            t.event.role.code(),
            outcome
        );
        if let Some(m) = &t.deadline_moved {
            let at = |d: Option<DateTime<Utc>>| {
                d.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_else(|| "none".into())
            };
            let how = match m.by_seconds() {
                Some(s) if s > 0 => format!(" (extended by {})", hours(s)),
                Some(s) => format!(" (shortened by {})", hours(-s)),
                None => String::new(),
            };
            println!("      deadline {} → {}{how}", at(m.from), at(m.to));
        }
    }
    for (role, p) in view.all_photos() {
        println!(
            "  photo ({}) {} {}×{} by {}",
            role.code(),
            p.hash,
            p.width,
            p.height,
            p.by_name
        );
    }
    for c in &view.conflicts {
        println!(
            "  conflict on {}: {} → chosen {}",
            c.field,
            c.values.join(" vs "),
            c.chosen
        );
    }
}

fn run(cli: Cli) -> Result<(), DeviceError> {
    let opts = SyncOptions {
        timeout: Duration::from_secs(cli.timeout.max(1)),
        ca_cert: cli.ca_cert.clone(),
        ..SyncOptions::default()
    };
    let mut device = Device::open(&cli.data_dir)?;
    let checked = !cli.skip_local_checks;
    let now = Utc::now();
    match cli.command {
        Command::Login {
            server,
            user,
            password,
            site,
        } => {
            let (login, report) =
                device.login_at(&server, &user, &password, site.as_deref(), &opts)?;
            println!(
                "logged in as {} ({}) at site {} {}",
                login.user.name,
                login.user.role.label_zh(),
                login.site.code,
                login.site.name
            );
            print_report(&report);
        }
        Command::Logout => {
            let revoked = device.logout()?;
            println!(
                "logged out{}; {} change(s) still wait to sync",
                if revoked {
                    " (the server revoked the token)"
                } else {
                    " here only (server not reachable; the token expires there on its own)"
                },
                device.pending_count()?
            );
        }
        Command::Status => {
            let s = device.session()?;
            println!(
                "user {} ({}) · server {} · device {}",
                s.user.name,
                s.user.role.code(),
                s.server,
                s.device
            );
            println!("{} change(s) wait to sync", device.pending_count()?);
            let photos = device.photo_status()?;
            println!(
                "{} photo file(s) wait to upload ({} B)",
                photos.pending, photos.pending_bytes
            );
            for (id, code, message) in device.refused_docs()? {
                println!("refused document {id}: {message} ({code})");
            }
        }
        Command::Notifications => {
            let offset = device.plan()?.site.deadlines.offset();
            let list = device.notifications()?;
            if list.is_empty() {
                println!("no notifications");
            }
            for (n, seen) in &list {
                use shared::wire::NotificationKind as K;
                let what = match n.kind {
                    K::Reminder => "reminder: due",
                    K::Escalation => "ESCALATION: overdue since",
                    K::Assigned => "new order: due",
                    K::ResponseOverdue => "NOT DISPATCHED: due since",
                    K::AwaitingVerification => "waiting for verification since",
                    K::VerificationOverdue => "VERIFICATION OVERDUE since",
                    K::AwaitingCallback => "waiting for the call-back since",
                    K::RootCause => "root-cause analysis due",
                    K::EquipmentDue => "equipment due by the end of",
                };
                println!(
                    "{} {what} {}  {} {} [{}]{}",
                    if *seen { " " } else { "*" },
                    n.deadline.with_timezone(&offset).format("%m-%d %H:%M"),
                    n.checkpoint.as_deref().unwrap_or("-"),
                    n.title,
                    n.issue,
                    n.assignee
                        .as_deref()
                        .map(|a| format!(" → {a}"))
                        .unwrap_or_default()
                );
            }
            device.mark_notifications_seen()?;
        }
        Command::Tasks => {
            let offset = device.plan()?.site.deadlines.offset();
            let at =
                |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&offset).format("%m-%d %H:%M");
            for t in device.route_tasks(now)? {
                println!(
                    "{}{} {}  {}/{} checked{}",
                    match (t.spot_check, t.adhoc) {
                        (true, _) => "[spot check] ",
                        (_, true) => "[one-off patrol] ",
                        _ => "",
                    },
                    t.code,
                    t.name,
                    t.checked(),
                    t.steps.len(),
                    if t.open { " (open)" } else { "" }
                );
                for w in &t.windows {
                    let state = if w.is_open(now) {
                        "open"
                    } else if w.is_overdue(now) {
                        "OVERDUE"
                    } else if now < w.from {
                        "later"
                    } else {
                        "done"
                    };
                    println!(
                        "    {:<24} {} → {}  {}/{} {state}{}",
                        w.key,
                        at(w.from),
                        at(w.until),
                        w.done,
                        w.total,
                        if w.missing.is_empty() {
                            String::new()
                        } else {
                            format!("; to check: {}", w.missing.join(", "))
                        }
                    );
                }
            }
        }
        Command::Patrol(cmd) => match cmd {
            PatrolCmd::Start { route } => {
                let view = device.patrol_start(&route, now)?;
                let plan = device.plan()?;
                let route = plan
                    .route_by_code(view.run.route_code.as_str())
                    .ok_or(DeviceError::NoPlan)?;
                println!(
                    "patrol {} started on route {} ({} checkpoints):",
                    view.run.id,
                    route.code,
                    route.checkpoints.len()
                );
                for (i, id) in route.checkpoints.iter().enumerate() {
                    if let Some(cp) = plan.checkpoint(*id) {
                        println!("  {:>2}. {} {}", i + 1, cp.code, cp.name);
                    }
                }
            }
            PatrolCmd::Arrive { checkpoint } => {
                let t = device.patrol_arrive(&checkpoint, now)?;
                println!(
                    "{}: {} v{} ({} items)",
                    checkpoint.trim(),
                    t.name,
                    t.version,
                    t.items.len()
                );
                for item in &t.items {
                    let how = match &item.kind {
                        shared::plan::ItemKind::PassFail => "pass|fail|na".to_string(),
                        shared::plan::ItemKind::Reading { min, max, unit } => format!(
                            "reading {}–{} {unit}",
                            min.map(|v| v.to_string()).unwrap_or_default(),
                            max.map(|v| v.to_string()).unwrap_or_default()
                        ),
                    };
                    println!("  {:<12} {}  ({how})", item.code, item.label);
                }
            }
            PatrolCmd::Check { checkpoint, items } => {
                let mut answers = Vec::new();
                for raw in &items {
                    let (item, answer) = raw.split_once('=').ok_or_else(|| {
                        DeviceError::Invalid(format!(
                            "`{raw}` should look like ITEM=pass|fail|na|NUMBER"
                        ))
                    })?;
                    answers.push((item.trim().to_string(), answer.parse::<Answer>()?));
                }
                let out = device.patrol_check(&checkpoint, &answers, now)?;
                print!(
                    "{}: {} passed, {} failed, {} n/a ({}/{} checkpoints)",
                    out.checkpoint,
                    out.passed,
                    out.failed.len(),
                    out.not_applicable,
                    out.checked,
                    out.route_len
                );
                if !out.failed.is_empty() {
                    print!("; failed: {}", out.failed.join(", "));
                }
                println!();
            }
            PatrolCmd::Finish => {
                let view = device.patrol_finish(now)?;
                let plan = device.plan()?;
                let total = plan
                    .routes
                    .iter()
                    .find(|r| r.id == view.run.route)
                    .map(|r| r.checkpoints.len())
                    .unwrap_or(0);
                let checked: std::collections::HashSet<_> =
                    view.results.iter().map(|r| r.checkpoint).collect();
                println!(
                    "patrol {} finished: {}/{} checkpoints checked",
                    view.run.id,
                    checked.len(),
                    total
                );
            }
            PatrolCmd::Status => match device.open_patrol()? {
                Some(view) => println!(
                    "patrol {} on route {}: {} result(s)",
                    view.run.id,
                    view.run.route_code,
                    view.results.len()
                ),
                None => println!("no patrol is open"),
            },
        },
        Command::Issue(cmd) => issue_command(&mut device, cmd, checked, now)?,
        Command::Sync { no_photos } => {
            let opts = SyncOptions {
                photos: !no_photos,
                ..opts
            };
            let mut bar = ProgressBar::new();
            let report = device.sync_with_progress(&opts, &mut |p| bar.show(p))?;
            bar.finish();
            print_report(&report);
        }
        Command::Photos(cmd) => {
            photos_command(&mut device, cmd, &opts, cli.caption_font.as_deref())?
        }
    }
    std::io::stdout().flush().ok();
    Ok(())
}

fn issue_command(
    device: &mut Device,
    cmd: IssueCmd,
    checked: bool,
    now: DateTime<Utc>,
) -> Result<(), DeviceError> {
    let user_id = |device: &Device, name: &str| -> Result<(shared::UserId, String), DeviceError> {
        let plan = device.plan()?;
        let u = plan
            .user_by_name(name.trim())
            .ok_or_else(|| DeviceError::UnknownUser(name.to_string()))?;
        Ok((u.id, u.name.to_string()))
    };
    let event =
        |device: &mut Device, id: &IdArg, body: EventBody| -> Result<IssueView, DeviceError> {
            let id = device.resolve_issue(&id.id)?;
            device.issue_event(id, body, checked, now)
        };
    let view = match cmd {
        IssueCmd::Raise {
            checkpoint,
            item,
            category,
            grade,
            title,
            description,
            photos,
        } => {
            let photos = device.add_photo_files(&photos, now)?;
            let id = device.raise_issue(
                RaiseInput {
                    checkpoint,
                    item,
                    category,
                    grade,
                    title,
                    description,
                    photos,
                },
                now,
            )?;
            println!("{id}");
            return Ok(());
        }
        IssueCmd::Assign {
            id,
            department,
            assignee,
            deadline,
        } => {
            let (assignee, assignee_name) = user_id(device, &assignee)?;
            let deadline = deadline.as_deref().map(parse_time).transpose()?;
            event(
                device,
                &id,
                EventBody::Assign {
                    department,
                    assignee,
                    assignee_name,
                    deadline,
                },
            )?
        }
        IssueCmd::Deadline { id, deadline } => event(
            device,
            &id,
            EventBody::MoveDeadline {
                deadline: parse_time(&deadline)?,
            },
        )?,
        IssueCmd::Rectify { id, note, photos } => {
            let note = shared::text::bounded("note", &note, shared::text::NOTE_MAX)?;
            let issue = device.resolve_issue(&id.id)?;
            let photos = device.add_photo_files(&photos, now)?;
            device.issue_event(issue, EventBody::Rectify { note, photos }, checked, now)?
        }
        IssueCmd::Verify {
            id, accept, note, ..
        } => {
            let note = shared::text::bounded("note", &note, shared::text::NOTE_MAX)?;
            let body = if accept {
                EventBody::Verify { note }
            } else {
                EventBody::Reject {
                    note,
                    department: None,
                    assignee: None,
                    assignee_name: None,
                    deadline: None,
                }
            };
            event(device, &id, body)?
        }
        IssueCmd::Regrade {
            id,
            grade,
            category,
        } => {
            if grade.is_none() && category.is_none() {
                return Err(DeviceError::Invalid(
                    "give --grade and/or --category".into(),
                ));
            }
            event(device, &id, EventBody::Regrade { grade, category })?
        }
        IssueCmd::Edit {
            id,
            title,
            description,
        } => {
            let title = title
                .map(|t| shared::text::required("title", &t, shared::text::TITLE_MAX))
                .transpose()?;
            let description = description
                .map(|d| shared::text::bounded("description", &d, shared::text::NOTE_MAX))
                .transpose()?;
            event(device, &id, EventBody::Edit { title, description })?
        }
        IssueCmd::Cancel { id, note } => event(device, &id, EventBody::Cancel { note })?,
        IssueCmd::Reopen { id, note } => event(
            device,
            &id,
            EventBody::Reopen {
                note,
                department: None,
                assignee: None,
                assignee_name: None,
                deadline: None,
            },
        )?,
        IssueCmd::Complaint {
            location,
            contact,
            category,
            urgency,
            title,
            description,
            zone,
            photos,
        } => {
            let photos = device.add_photo_files(&photos, now)?;
            let id = device.raise_complaint(
                &shared::app::ComplaintRequest {
                    zone,
                    location,
                    contact,
                    category,
                    urgency,
                    title,
                    description,
                    photos,
                },
                now,
            )?;
            println!("{id}");
            return Ok(());
        }
        IssueCmd::Callback {
            id,
            satisfied,
            note,
        } => {
            let view = device.issue(device.resolve_issue(&id.id)?)?;
            let sla = device.plan()?.site.complaint_sla;
            event(device, &id, view.callback(satisfied, &note, &sla, now))?
        }
        IssueCmd::Comment { id, text } => event(
            device,
            &id,
            EventBody::Comment {
                text: shared::text::required("comment", &text, shared::text::NOTE_MAX)?,
            },
        )?,
        IssueCmd::List {
            json,
            status,
            mine,
            awaiting_callback,
        } => {
            let assignee = if mine {
                Some(device.session()?.user.id)
            } else {
                None
            };
            let mut list = device.issues(&IssueFilter {
                status,
                assignee,
                only_refused: false,
            })?;
            if awaiting_callback {
                list.retain(|s| s.awaiting_callback);
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("list serializes")
                );
            } else {
                for s in &list {
                    println!(
                        "{}  {:<9} {:<9} {:<16} {}{}",
                        s.id,
                        s.status.code(),
                        s.grade.code(),
                        s.checkpoint.as_deref().unwrap_or("-"),
                        s.title,
                        if s.overdue { "  (overdue)" } else { "" }
                    );
                }
                println!("{} issue(s)", list.len());
            }
            return Ok(());
        }
        IssueCmd::Show { id, json } => {
            let view = device.issue(device.resolve_issue(&id.id)?)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&view).expect("view serializes")
                );
            } else {
                show(&view);
            }
            return Ok(());
        }
    };
    println!("{}  {} → {}", view.id, view.title, view.status.code());
    Ok(())
}

/// A one-line progress bar on stderr while photos upload; silent when stderr is not a terminal.
struct ProgressBar {
    tty: bool,
    drawn: bool,
}

impl ProgressBar {
    fn new() -> ProgressBar {
        use std::io::IsTerminal;
        ProgressBar {
            tty: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, p: crate::photos::UploadProgress) {
        if !self.tty || p.files_total == 0 {
            return;
        }
        const WIDTH: usize = 30;
        let frac = if p.bytes_total == 0 {
            1.0
        } else {
            p.bytes_done as f64 / p.bytes_total as f64
        };
        let filled = ((frac * WIDTH as f64) as usize).min(WIDTH);
        eprint!(
            "\rphotos [{}{}] {}/{} files, {:.1}/{:.1} MB",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            p.files_done,
            p.files_total,
            p.bytes_done as f64 / 1e6,
            p.bytes_total as f64 / 1e6
        );
        self.drawn = true;
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
        }
    }
}

fn photos_command(
    device: &mut Device,
    cmd: PhotosCmd,
    opts: &SyncOptions,
    caption_font: Option<&std::path::Path>,
) -> Result<(), DeviceError> {
    match cmd {
        PhotosCmd::Status => {
            let s = device.photo_status()?;
            println!(
                "photos: {} pending ({} B), {} uploaded, {} evicted, {} staged",
                s.pending, s.pending_bytes, s.uploaded, s.evicted, s.staged
            );
            println!(
                "local full-size copies: {:.1} of {:.1} MiB budget",
                s.local_full_bytes as f64 / 1048576.0,
                s.budget as f64 / 1048576.0
            );
            for (hash, e) in &s.failing {
                println!("failing {}: {e}", &hash[..12]);
            }
        }
        PhotosCmd::List { id } => {
            let view = device.issue(device.resolve_issue(&id.id)?)?;
            for (role, p) in view.all_photos() {
                let event = view
                    .timeline
                    .iter()
                    .find(|t| match &t.event.body {
                        EventBody::Raise { photos, .. } | EventBody::Rectify { photos, .. } => {
                            photos.iter().any(|q| q.hash == p.hash)
                        }
                        _ => false,
                    })
                    .map(|t| t.event.id);
                let received = match event {
                    Some(e) => device.receipt(*e.as_uuid())?,
                    None => None,
                };
                println!(
                    "{:<6} {}  thumb {}  original {}  {}×{}  by {}  taken {}  added {}  server {}",
                    role.code(),
                    p.hash,
                    &p.thumb.as_str()[..12],
                    &p.original.as_str()[..12],
                    p.width,
                    p.height,
                    p.by_name,
                    p.taken_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "-".into()),
                    p.added_at.to_rfc3339(),
                    received
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "not yet".into()),
                );
            }
        }
        PhotosCmd::Export {
            hash,
            out,
            no_stamp,
        } => {
            let hash = device.resolve_photo(&hash)?;
            let bytes = if no_stamp {
                device.photo(&hash, opts)?
            } else {
                let fonts = photo::stamp::Fonts::discover(caption_font);
                if let Some(w) = &fonts.warning {
                    eprintln!("inspect: {w}");
                }
                device.stamped_photo(&hash, None, &fonts, opts)?.0
            };
            std::fs::write(&out, &bytes).map_err(|source| DeviceError::PhotoFile {
                path: out.display().to_string(),
                source,
            })?;
            println!("{} → {} ({} B)", &hash[..12], out.display(), bytes.len());
        }
        PhotosCmd::Budget { mib } => {
            let evicted = device.set_photo_budget(mib * 1024 * 1024)?;
            println!(
                "photo budget {mib} MiB; {evicted} full-size copies deleted (the server keeps them)"
            );
        }
    }
    Ok(())
}
