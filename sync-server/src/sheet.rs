//! The patrol record sheet (巡查记录表) of one site and day, optionally one
//! route or one inspector: every checkpoint result with its items, readings
//! against their limits, times and presence evidence (code entered or
//! scanned, dwell time, server receipt time), the checkpoints skipped and the
//! findings raised. As an A4 PDF to sign and file, and as a workbook.

use crate::analytics::{Cell, Table};
use crate::error::ApiError;
use crate::forms::{Col, FormError, Layout, MARGIN, PAGE_W};
use crate::store::Txn;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use krilla::text::Font;
use shared::kpi::Period;
use shared::patrol::{Answer, EntryMethod, Outcome, PatrolRunView, PresenceEvidence};
use shared::plan::{ItemKind, SitePlan};
use shared::text::Said;
use shared::wire::PatrolDetail;

/// What a sheet prints.
pub struct PatrolSheet {
    pub plan: SitePlan,
    pub date: NaiveDate,
    /// The route code asked for, if one was.
    pub route: Option<String>,
    /// The inspector (user name) asked for, if one was.
    pub inspector: Option<String>,
    /// The day's runs in the order they started.
    pub runs: Vec<PatrolDetail>,
}

/// Most runs one sheet reads (a site's day has a few dozen at most).
const MAX_RUNS: usize = 2_000;

/// `YYYY-MM-DD`, or a clear refusal.
pub fn parse_date(date: &str) -> Result<NaiveDate, Said> {
    NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
        Said::new(
            format!("`{date}` is not a date; write YYYY-MM-DD"),
            format!("“{date}”不是日期：请写成 YYYY-MM-DD"),
        )
    })
}

/// Loads the runs of `plan`'s site started on local day `date`, of `route`
/// (a route code) and `inspector` (a user name) when given, that `readable`
/// lets the reader see.
pub fn load(
    txn: &mut dyn Txn,
    plan: SitePlan,
    date: NaiveDate,
    route: Option<&str>,
    inspector: Option<&str>,
    readable: &dyn Fn(&PatrolRunView) -> bool,
) -> Result<PatrolSheet, ApiError> {
    let route = route.map(str::trim).filter(|r| !r.is_empty());
    let inspector = inspector.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = route
        && !plan.routes.iter().any(|x| x.code.as_str() == r)
    {
        return Err(ApiError::invalid(&Said::new(
            format!("the site has no route `{r}`"),
            format!("本项目没有路线“{r}”"),
        )));
    }
    if let Some(i) = inspector
        && plan.user_by_name(i).is_none()
    {
        return Err(ApiError::invalid(&Said::new(
            format!("the site has no user `{i}`"),
            format!("本项目没有用户“{i}”"),
        )));
    }
    let day = Period::days(plan.site.deadlines.offset(), date, date);
    let mut views: Vec<PatrolRunView> = txn
        .list_patrols(plan.site.id, day.from, MAX_RUNS)?
        .into_iter()
        .filter(|v| v.run.started_at < day.to)
        .filter(|v| route.is_none_or(|r| v.run.route_code.as_str() == r))
        .filter(|v| {
            inspector.is_none_or(|i| {
                plan.user_by_name(i)
                    .is_some_and(|u| u.id == v.run.inspector)
            })
        })
        .filter(|v| readable(v))
        .collect();
    views.sort_by_key(|v| (v.run.started_at, v.run.id));
    let runs = views
        .iter()
        .map(|v| crate::patrols::detail_of(txn, &plan, v))
        .collect::<Result<_, _>>()?;
    Ok(PatrolSheet {
        route: route.map(String::from),
        inspector: inspector.map(String::from),
        plan,
        date,
        runs,
    })
}

impl PatrolSheet {
    fn offset(&self) -> FixedOffset {
        self.plan.site.deadlines.offset()
    }

    /// A time on the site's clock, `HH:MM:SS`.
    fn clock(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset())
            .format("%H:%M:%S")
            .to_string()
    }

    /// A time on the site's clock with its date.
    fn stamp(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    fn person(&self, login: &str) -> String {
        self.plan
            .user_by_name(login)
            .map(|u| u.display_name.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| login.to_string())
    }

    fn route_name(&self, code: &str) -> String {
        self.plan
            .routes
            .iter()
            .find(|r| r.code.as_str() == code)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    }

    /// What the sheet covers, e.g. `2026-12-06 · 路线 R1 · 巡查人 inspector1`.
    pub fn scope(&self) -> String {
        let mut s = self.date.to_string();
        if let Some(r) = &self.route {
            s += &format!(" · 路线 {r}");
        }
        if let Some(i) = &self.inspector {
            s += &format!(" · 巡查人 {i}");
        }
        s
    }
}

/// The label of item `item` of the checklist at checkpoint `checkpoint` (its code if unknown).
fn item_label(plan: &SitePlan, checkpoint: Option<&str>, item: Option<&str>) -> String {
    let Some(item) = item else {
        return "—".into();
    };
    checkpoint
        .and_then(|c| plan.checkpoint_by_code(c))
        .and_then(|c| plan.template(c.template, c.template_version))
        .and_then(|t| t.items.iter().find(|i| i.code.as_str() == item))
        .map(|i| i.label.clone())
        .unwrap_or_else(|| item.to_string())
}

fn outcome_zh(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "合格",
        Outcome::Fail => "不合格",
        Outcome::Na => "不适用",
    }
}

fn number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One item as the sheet prints it: label, result, reading against limits.
struct ItemLine {
    code: String,
    label: String,
    answer: &'static str,
    outcome: Outcome,
    reading: Option<f64>,
    limits: Option<(Option<f64>, Option<f64>, String)>,
}

impl ItemLine {
    fn reading_text(&self) -> String {
        match (&self.reading, &self.limits) {
            (Some(v), Some((min, max, unit))) => {
                let range = match (min, max) {
                    (Some(a), Some(b)) => format!("{}–{}", number(*a), number(*b)),
                    (Some(a), None) => format!("≥{}", number(*a)),
                    (None, Some(b)) => format!("≤{}", number(*b)),
                    (None, None) => "不限".into(),
                };
                format!("{} {unit}（{range}）", number(*v))
            }
            (Some(v), None) => number(*v),
            _ => String::new(),
        }
    }
}

fn items(plan: &SitePlan, r: &shared::wire::ResultDetail) -> Vec<ItemLine> {
    let template = plan.template(r.result.template, r.result.template_version);
    r.result
        .items
        .iter()
        .map(|i| {
            let item = template.and_then(|t| t.items.iter().find(|x| x.code == i.item));
            ItemLine {
                code: i.item.to_string(),
                label: item
                    .map(|x| x.label.clone())
                    .unwrap_or_else(|| i.item.to_string()),
                answer: match i.answer {
                    Answer::Pass => "pass",
                    Answer::Fail => "fail",
                    Answer::Na => "na",
                    Answer::Reading(_) => "reading",
                },
                outcome: i.outcome,
                reading: match i.answer {
                    Answer::Reading(v) => Some(v),
                    _ => None,
                },
                limits: item.and_then(|x| match &x.kind {
                    ItemKind::Reading { min, max, unit } => Some((*min, *max, unit.clone())),
                    ItemKind::PassFail => None,
                }),
            }
        })
        .collect()
}

/// The presence evidence in words: how the code came in, and the dwell time.
fn evidence_zh(e: &PresenceEvidence) -> (String, String) {
    match e {
        PresenceEvidence::Code {
            code,
            method,
            dwell_seconds,
        } => (
            format!(
                "{} {code}",
                match method {
                    EntryMethod::Scanned => "扫码",
                    EntryMethod::Typed => "手输点码",
                }
            ),
            dwell_seconds
                .map(|s| format!("停留 {s} 秒"))
                .unwrap_or_else(|| "停留时长未知".into()),
        ),
        PresenceEvidence::WrongCode { code } => (format!("点码不符：{code}"), "无到点证据".into()),
        PresenceEvidence::Missing => ("未录入点码".into(), "无到点证据".into()),
    }
}

/// The sheet as an A4 PDF: one page (or more) per run, signature lines at
/// the end of each.
pub fn pdf(s: &PatrolSheet, font: Font) -> Result<Vec<u8>, FormError> {
    let mut l = Layout::new();
    let plan = &s.plan;
    let header = |l: &mut Layout| {
        l.text(MARGIN, l.y + 22.0, 20.0, "巡查记录表");
        l.y += 34.0;
        l.para(
            10.0,
            format!(
                "项目：{}（{}）    {}",
                plan.site.name,
                plan.site.code,
                s.scope()
            ),
        );
    };
    if s.runs.is_empty() {
        header(&mut l);
        l.para(11.0, "当日无巡查记录。");
    }
    for (i, run) in s.runs.iter().enumerate() {
        if i > 0 {
            l.new_page();
        }
        header(&mut l);
        let sum = &run.summary;
        l.para(
            10.5,
            format!(
                "路线：{} {}    巡查人：{}（{}）",
                sum.route_code,
                s.route_name(&sum.route_code),
                s.person(&sum.inspector_name),
                sum.inspector_name
            ),
        );
        l.para(
            10.0,
            format!(
                "开始：{}    完成：{}    已检 {} / {} 点    不合格项 {}    无到点证据 {}",
                s.clock(sum.started_at),
                sum.finished_at
                    .map(|t| s.clock(t))
                    .unwrap_or_else(|| "未完成".into()),
                sum.checked,
                sum.route_len,
                sum.failed_items,
                sum.without_presence
            ),
        );
        l.para(8.0, "时间为设备时间；“接收”为服务器收到该结果的时间。");
        let rows: Vec<Vec<Vec<String>>> = run
            .results
            .iter()
            .map(|r| {
                let lines = items(plan, r);
                let (how, dwell) = evidence_zh(&r.evidence);
                vec![
                    vec![
                        r.result.checkpoint_code.to_string(),
                        r.checkpoint_name.clone(),
                    ],
                    lines.iter().map(|i| i.label.clone()).collect(),
                    lines.iter().map(|i| outcome_zh(i.outcome).into()).collect(),
                    lines.iter().map(ItemLine::reading_text).collect(),
                    vec![how, dwell],
                    vec![
                        format!("检查 {}", s.clock(r.result.checked_at)),
                        r.received_at
                            .map(|t| format!("接收 {}", s.clock(t)))
                            .unwrap_or_else(|| "接收 —".into()),
                    ],
                ]
            })
            .collect();
        l.table(
            &[
                Col("点位", 88.0),
                Col("检查项", 118.0),
                Col("结果", 40.0),
                Col("读数（限值）", 92.0),
                Col("到点证据", 80.0),
                Col("时间", PAGE_W - 2.0 * MARGIN - 418.0),
            ],
            &rows,
            8.0,
        );
        if !run.skipped.is_empty() {
            l.para(10.5, format!("未检点位（{} 个）", run.skipped.len()));
            let names: Vec<String> = run
                .skipped
                .iter()
                .map(|(code, name)| format!("{code} {name}"))
                .collect();
            for line in crate::forms::wrap(&names.join("、"), 9.0, PAGE_W - 2.0 * MARGIN) {
                l.para(9.0, line);
            }
        }
        l.para(10.5, format!("发现问题（{} 项）", run.issues.len()));
        if !run.issues.is_empty() {
            let rows: Vec<Vec<Vec<String>>> = run
                .issues
                .iter()
                .map(|x| {
                    vec![
                        vec![x.checkpoint.clone().unwrap_or_else(|| "—".into())],
                        vec![item_label(plan, x.checkpoint.as_deref(), x.item.as_deref())],
                        vec![x.title.clone()],
                        vec![x.issue.to_string()],
                    ]
                })
                .collect();
            l.table(
                &[
                    Col("点位", 70.0),
                    Col("检查项", 80.0),
                    Col("问题", 160.0),
                    Col("问题编号", PAGE_W - 2.0 * MARGIN - 310.0),
                ],
                &rows,
                8.0,
            );
        }
        l.signatures(&["巡查人签字", "复核人签字"]);
    }
    crate::forms::render(
        &l,
        &[],
        None,
        &font,
        &format!("{} · 巡查记录表 {}", plan.site.name, s.scope()),
    )
}

/// The sheet as tables: every answered item, the checkpoints skipped, the
/// findings raised (the workbook's three sheets).
pub fn tables(s: &PatrolSheet) -> Vec<Table> {
    let text = |t: &str| Cell::Text(t.to_string());
    let opt = |v: Option<f64>| v.map(Cell::Number).unwrap_or(Cell::Empty);
    let mut items_rows = Vec::new();
    let mut skipped_rows = Vec::new();
    let mut issue_rows = Vec::new();
    for run in &s.runs {
        let sum = &run.summary;
        let head = [
            Cell::Text(s.date.to_string()),
            text(&sum.route_code),
            text(&sum.inspector_name),
            Cell::Text(s.stamp(sum.started_at)),
        ];
        for r in &run.results {
            let (method, code, dwell) = match &r.evidence {
                PresenceEvidence::Code {
                    code,
                    method,
                    dwell_seconds,
                } => (
                    match method {
                        EntryMethod::Scanned => "扫码",
                        EntryMethod::Typed => "手输",
                    },
                    code.clone(),
                    dwell_seconds.map(|d| Cell::Number(d as f64)),
                ),
                PresenceEvidence::WrongCode { code } => ("点码不符", code.clone(), None),
                PresenceEvidence::Missing => ("无", String::new(), None),
            };
            for i in items(&s.plan, r) {
                let (min, max, unit) = i.limits.clone().unwrap_or((None, None, String::new()));
                let mut row = head.to_vec();
                row.extend([
                    Cell::Text(r.result.checkpoint_code.to_string()),
                    text(&r.checkpoint_name),
                    Cell::Text(i.code.clone()),
                    Cell::Text(i.label.clone()),
                    text(i.answer),
                    text(outcome_zh(i.outcome)),
                    opt(i.reading),
                    opt(min),
                    opt(max),
                    Cell::Text(unit),
                    text(method),
                    Cell::Text(code.clone()),
                    dwell.clone().unwrap_or(Cell::Empty),
                    Cell::Text(s.stamp(r.result.checked_at)),
                    r.received_at
                        .map(|t| Cell::Text(s.stamp(t)))
                        .unwrap_or(Cell::Empty),
                ]);
                items_rows.push(row);
            }
        }
        for (code, name) in &run.skipped {
            let mut row = head.to_vec();
            row.extend([text(code), text(name)]);
            skipped_rows.push(row);
        }
        for x in &run.issues {
            let mut row = head.to_vec();
            row.extend([
                x.checkpoint.as_deref().map(text).unwrap_or(Cell::Empty),
                x.item.as_deref().map(text).unwrap_or(Cell::Empty),
                text(&x.title),
                Cell::Text(x.issue.to_string()),
            ]);
            issue_rows.push(row);
        }
    }
    let headers = |rest: &[&str]| -> Vec<String> {
        ["日期", "路线", "巡查人", "开始时间"]
            .iter()
            .chain(rest)
            .map(|h| h.to_string())
            .collect()
    };
    vec![
        Table {
            id: "results",
            title: "巡查记录",
            headers: headers(&[
                "点位编码",
                "点位",
                "检查项编码",
                "检查项",
                "答案",
                "结果",
                "读数",
                "下限",
                "上限",
                "单位",
                "到点方式",
                "录入点码",
                "停留(秒)",
                "检查时间",
                "服务器接收时间",
            ]),
            rows: items_rows,
        },
        Table {
            id: "skipped",
            title: "未检点位",
            headers: headers(&["点位编码", "点位"]),
            rows: skipped_rows,
        },
        Table {
            id: "findings",
            title: "发现问题",
            headers: headers(&["点位编码", "检查项编码", "问题", "问题编号"]),
            rows: issue_rows,
        },
    ]
}

/// The file name of a sheet, without extension.
pub fn file_stem(s: &PatrolSheet) -> String {
    let mut name = format!("patrol-sheet-{}-{}", s.plan.site.code, s.date);
    if let Some(r) = &s.route {
        name += &format!("-{r}");
    }
    if let Some(i) = &s.inspector {
        name += &format!("-{i}");
    }
    name.retain(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    name
}

/// The file types a record comes as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Xlsx,
}

impl Format {
    /// `pdf` (the default) or `xlsx`.
    pub fn parse(format: Option<&str>) -> Result<Format, ApiError> {
        match format.map(str::trim).unwrap_or("pdf") {
            "pdf" => Ok(Format::Pdf),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(ApiError::invalid(&Said::new(
                format!(
                    "`{}` is not a file format; use pdf or xlsx",
                    other.chars().take(40).collect::<String>()
                ),
                "文件格式只能是 pdf 或 xlsx",
            ))),
        }
    }

    /// From a file name's extension: `F.pdf` or `F.xlsx`.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "pdf" => Some(Format::Pdf),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A workbook that could not be written, as the API says it.
pub fn workbook_error(e: rust_xlsxwriter::XlsxError) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("the workbook cannot be written: {e}"),
    )
    .zh("无法生成 Excel 文件，请稍后再试")
}

/// The sheet as a file of `format`.
pub fn file(
    s: &PatrolSheet,
    format: Format,
    fonts: &photo::stamp::Fonts,
) -> Result<Vec<u8>, ApiError> {
    match format {
        Format::Pdf => Ok(pdf(s, crate::forms::font(fonts)?)?),
        Format::Xlsx => crate::analytics::xlsx_book(&tables(s)).map_err(workbook_error),
    }
}
