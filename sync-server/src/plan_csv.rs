//! Checkpoints and checklists from and to CSV: the spreadsheets property
//! companies already keep.
//!
//! Files are UTF-8 (a leading byte-order mark, as Excel writes it, is fine)
//! or GBK/GB18030 (Excel's "CSV (逗号分隔)" on a Chinese system; see [`decode`]);
//! headers may be Chinese or English; enum columns take the code or either
//! label. An import checks every row and reports every bad one by file, line
//! and column; only when no row is bad is the plan changed, in memory, and
//! the caller stores it in one transaction — nothing is ever half-imported.
//!
//! Rows update by code: a checkpoint or zone with a known code is updated, a
//! new code is added, nothing missing from the file is deleted. A checklist
//! whose items or name changed becomes a new version of the same template;
//! checkpoints using it move to the new version, while patrols already started
//! finish on the version they began with (`shared::patrol::PatrolRun::checklists`).
//!
//! A new checkpoint's frequency (频率) puts it on the default schedule of that
//! frequency (`AUTO-DAILY`, `AUTO-WEEKLY`, `AUTO-MONTHLY`) unless a schedule
//! already covers it (through one of its routes); changing the frequency
//! moves it. A checkpoint that no schedule covers is flagged 从未排班.

use shared::codes::{Frequency, ItemFamily, ZoneKind};
use shared::ids::*;
use shared::plan::*;
use shared::text::Bilingual;
use shared::text::Code;
pub use shared::wire::{ImportReport, LineError};
use std::collections::{BTreeMap, HashMap};

pub const CHECKLISTS_FILE: &str = "checklists.csv";
pub const CHECKPOINTS_FILE: &str = "checkpoints.csv";
pub const SLA_FILE: &str = "sla.csv";

/// Most bad rows reported from one import.
const MAX_ERRORS: usize = 200;

/// A column: its key, Chinese header (written on export) and English header.
pub(crate) struct Col {
    pub(crate) zh: &'static str,
    pub(crate) en: &'static str,
    required: bool,
}

pub(crate) const fn col(zh: &'static str, en: &'static str, required: bool) -> Col {
    Col { zh, en, required }
}

const CHECKLIST_COLS: [Col; 9] = [
    col("检查表编码", "template", true),
    col("检查表名称", "template_name", true),
    col("检查项编码", "item", true),
    col("检查项", "label", true),
    col("类别", "family", true),
    col("方式", "kind", true),
    col("下限", "min", false),
    col("上限", "max", false),
    col("单位", "unit", false),
];

const CHECKPOINT_COLS: [Col; 10] = [
    col("区域编码", "zone", true),
    col("区域名称", "zone_name", false),
    col("区域类型", "zone_kind", false),
    col("点位编码", "point", true),
    col("点位名称", "name", true),
    col("坐标X", "x", false),
    col("坐标Y", "y", false),
    col("检查表编码", "template", true),
    col("频率", "frequency", false),
    col("路线", "routes", false),
];

const SLA_COLS: [Col; 4] = [
    col("投诉类型", "category", true),
    col("紧急程度", "urgency", true),
    col("响应时限(分钟)", "respond_minutes", true),
    col("解决时限(小时)", "resolve_hours", true),
];

const KIND_PASS_FAIL: (&str, &str) = ("pass_fail", "合格判定");
const KIND_READING: (&str, &str) = ("reading", "读数");

/// Collects errors, up to a limit.
pub(crate) struct Errors {
    pub(crate) file: &'static str,
    pub(crate) list: Vec<LineError>,
}

impl Errors {
    /// Records a bad row, saying what is wrong in English and in Chinese.
    pub(crate) fn push(
        &mut self,
        line: u64,
        column: Option<&str>,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(LineError {
                file: self.file.to_string(),
                line,
                column: column.map(str::to_string),
                message: message.into(),
                message_zh: message_zh.into(),
            });
        }
    }
}

/// A parsed file: the header of each known column found, and the rows.
pub(crate) struct Table<'c> {
    cols: &'c [Col],
    /// Column index in the file for each of `cols`.
    at: Vec<Option<usize>>,
    /// How the file spells each found header.
    names: Vec<String>,
    pub(crate) rows: Vec<(u64, csv::StringRecord)>,
}

impl Table<'_> {
    /// The trimmed cell of column `c` in `row` (empty when absent).
    pub(crate) fn cell<'r>(&self, row: &'r csv::StringRecord, c: usize) -> &'r str {
        let cell = self.at[c]
            .and_then(|i| row.get(i))
            .map(str::trim)
            .unwrap_or("");
        // What the export protected from being read as a formula reads back as written.
        match cell.strip_prefix('\'') {
            Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
            _ => cell,
        }
    }
    pub(crate) fn header(&self, c: usize) -> &str {
        self.at[c]
            .map(|i| self.names[i].as_str())
            .unwrap_or(self.cols[c].zh)
    }
}

pub(crate) fn read_table<'c>(
    text: &str,
    cols: &'c [Col],
    errors: &mut Errors,
) -> Option<Table<'c>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let names: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            errors.push(
                1,
                None,
                format!("the header row cannot be read: {e}"),
                format!("表头行无法读取：{e}"),
            );
            return None;
        }
    };
    if names.iter().all(|n| n.is_empty()) {
        errors.push(
            1,
            None,
            "the file is empty; the first row must name the columns",
            "文件是空的：第一行应是列名",
        );
        return None;
    }
    let mut at = vec![None; cols.len()];
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        match cols
            .iter()
            .position(|c| c.zh == name || c.en.eq_ignore_ascii_case(name))
        {
            Some(c) if at[c].is_some() => {
                errors.push(1, Some(name), "this column appears twice", "此列出现了两次");
            }
            Some(c) => at[c] = Some(i),
            None => errors.push(
                1,
                Some(name),
                format!(
                    "unknown column; the columns are: {}",
                    cols.iter().map(|c| c.zh).collect::<Vec<_>>().join(", ")
                ),
                format!(
                    "不认识的列；可用的列：{}",
                    cols.iter().map(|c| c.zh).collect::<Vec<_>>().join("、")
                ),
            ),
        }
    }
    for (c, found) in cols.iter().zip(&at) {
        if c.required && found.is_none() {
            errors.push(
                1,
                None,
                format!("the column {} ({}) is missing", c.zh, c.en),
                format!("缺少“{}”列", c.zh),
            );
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                if r.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                rows.push((line, r));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(
                    line,
                    None,
                    format!("the row cannot be read: {e}"),
                    format!("此行无法读取：{e}"),
                );
            }
        }
    }
    Some(Table {
        cols,
        at,
        names,
        rows,
    })
}

/// Decodes a CSV file as people's spreadsheets save it: UTF-8 (with or
/// without the byte-order mark), or, when it is not UTF-8, GB18030 — which
/// reads GBK, what Excel writes for "CSV (逗号分隔)" on a Chinese system. A
/// file that is neither is refused with the line of the first byte that
/// cannot be read.
pub fn decode(file: &'static str, bytes: &[u8]) -> Result<String, LineError> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if !had_errors {
        return Ok(text.into_owned());
    }
    let at = match std::str::from_utf8(bytes) {
        Err(e) => e.valid_up_to(),
        Ok(_) => bytes.len(),
    };
    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1;
    Err(LineError {
        file: file.to_string(),
        line,
        column: None,
        message: "the file is neither UTF-8 nor GBK/GB18030 text; \
                  save it from the spreadsheet as \"CSV UTF-8\" and import again"
            .into(),
        message_zh:
            "文件既不是 UTF-8 也不是 GBK/GB18030 文本：请在表格软件中另存为“CSV UTF-8”后重新导入"
                .into(),
    })
}

pub(crate) fn parse_code(
    errors: &mut Errors,
    line: u64,
    column: &str,
    what: &'static str,
    s: &str,
) -> Option<Code> {
    Code::parse(what, s)
        .map_err(|e| errors.push(line, Some(column), e.to_string(), e.zh()))
        .ok()
}

fn parse_number(errors: &mut Errors, line: u64, column: &str, s: &str) -> Option<Option<f64>> {
    if s.is_empty() {
        return Some(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(Some(v)),
        _ => {
            errors.push(
                line,
                Some(column),
                format!("`{s}` is not a number"),
                format!("“{s}”不是数字"),
            );
            None
        }
    }
}

pub(crate) fn parse_label<T>(
    errors: &mut Errors,
    line: u64,
    column: &str,
    s: &str,
    parse: impl Fn(&str) -> Option<T>,
    all: impl Iterator<Item = (&'static str, &'static str)>,
) -> Option<T> {
    let v = parse(s);
    if v.is_none() {
        let all: Vec<_> = all.collect();
        let choices: Vec<String> = all
            .iter()
            .map(|(code, zh)| format!("{zh} ({code})"))
            .collect();
        let labels: Vec<&str> = all.iter().map(|(_, zh)| *zh).collect();
        errors.push(
            line,
            Some(column),
            format!("`{s}` is not one of: {}", choices.join(", ")),
            format!("“{s}”不是可选的值：请填 {}", labels.join("、")),
        );
    }
    v
}

/// One checklist as the file gives it.
struct TemplateRows {
    code: Code,
    name: String,
    items: Vec<ChecklistItem>,
}

fn read_checklists(text: &str, errors: &mut Errors) -> Vec<TemplateRows> {
    let Some(t) = read_table(text, &CHECKLIST_COLS, errors) else {
        return Vec::new();
    };
    let mut out: Vec<TemplateRows> = Vec::new();
    // (template, item) → line where it first appeared.
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for (line, row) in &t.rows {
        let line = *line;
        let h = |c: usize| t.header(c).to_string();
        let template = parse_code(errors, line, &h(0), "checklist code", t.cell(row, 0));
        let name = t.cell(row, 1);
        if name.is_empty() {
            errors.push(
                line,
                Some(&h(1)),
                "the checklist needs a name",
                "请填写检查表名称",
            );
        }
        let item = parse_code(errors, line, &h(2), "item code", t.cell(row, 2));
        let label = t.cell(row, 3);
        if label.is_empty() {
            errors.push(
                line,
                Some(&h(3)),
                "the item needs a label",
                "请填写检查项内容",
            );
        }
        let family = parse_label(
            errors,
            line,
            &h(4),
            t.cell(row, 4),
            ItemFamily::from_code_or_label,
            ItemFamily::ALL.iter().map(|f| (f.code(), f.label_zh())),
        );
        let kind_text = t.cell(row, 5);
        let min = parse_number(errors, line, &h(6), t.cell(row, 6));
        let max = parse_number(errors, line, &h(7), t.cell(row, 7));
        let unit = t.cell(row, 8);
        let kind = if [KIND_PASS_FAIL.0, KIND_PASS_FAIL.1].contains(&kind_text) {
            if min.flatten().is_some() || max.flatten().is_some() {
                errors.push(
                    line,
                    Some(&h(5)),
                    "a pass/fail item has no limits; use 读数 (reading) for a number",
                    "合格判定项没有上下限：需要数值请把方式填为“读数”",
                );
            }
            Some(ItemKind::PassFail)
        } else if [KIND_READING.0, KIND_READING.1].contains(&kind_text) {
            match (min, max) {
                (Some(Some(a)), Some(Some(b))) if a > b => {
                    errors.push(
                        line,
                        Some(&h(6)),
                        format!("the lower limit {a} is above the upper limit {b}"),
                        format!("下限 {a} 大于上限 {b}"),
                    );
                    None
                }
                (Some(min), Some(max)) => Some(ItemKind::Reading {
                    min,
                    max,
                    unit: unit.to_string(),
                }),
                _ => None,
            }
        } else {
            errors.push(
                line,
                Some(&h(5)),
                format!(
                    "`{kind_text}` is not one of: {} ({}), {} ({})",
                    KIND_PASS_FAIL.1, KIND_PASS_FAIL.0, KIND_READING.1, KIND_READING.0
                ),
                format!(
                    "“{kind_text}”不是可选的方式：请填 {} 或 {}",
                    KIND_PASS_FAIL.1, KIND_READING.1
                ),
            );
            None
        };
        let (Some(template), Some(item), Some(family), Some(kind)) = (template, item, family, kind)
        else {
            continue;
        };
        if name.is_empty() || label.is_empty() {
            continue;
        }
        let key = (template.to_string(), item.to_string());
        if let Some(first) = seen.get(&key) {
            errors.push(
                line,
                Some(&h(2)),
                format!("item {item} of {template} already appears on line {first}"),
                format!("检查表 {template} 的检查项 {item} 已在第 {first} 行出现过"),
            );
            continue;
        }
        seen.insert(key, line);
        let entry = match out.iter_mut().position(|t| t.code == template) {
            Some(i) => &mut out[i],
            None => {
                out.push(TemplateRows {
                    code: template,
                    name: name.to_string(),
                    items: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        if entry.name != name {
            errors.push(
                line,
                Some(&h(1)),
                format!(
                    "checklist {} is named `{}` on an earlier line",
                    entry.code, entry.name
                ),
                format!(
                    "检查表 {} 在前面的行中名称是“{}”：同一检查表的名称要一致",
                    entry.code, entry.name
                ),
            );
            continue;
        }
        entry.items.push(ChecklistItem {
            code: item,
            label: label.to_string(),
            family,
            kind,
        });
    }
    out
}

/// One checkpoint as the file gives it.
struct PointRow {
    line: u64,
    zone: Code,
    zone_name: String,
    zone_kind: Option<ZoneKind>,
    code: Code,
    name: String,
    xy: Option<(f64, f64)>,
    template: Code,
    frequency: Option<Frequency>,
    routes: Vec<Code>,
}

fn read_checkpoints(text: &str, errors: &mut Errors) -> Vec<PointRow> {
    let Some(t) = read_table(text, &CHECKPOINT_COLS, errors) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, row) in &t.rows {
        let line = *line;
        let h = |c: usize| t.header(c).to_string();
        let zone = parse_code(errors, line, &h(0), "zone code", t.cell(row, 0));
        let zone_kind = match t.cell(row, 2) {
            "" => Some(None),
            s => parse_label(
                errors,
                line,
                &h(2),
                s,
                ZoneKind::from_code_or_label,
                ZoneKind::ALL.iter().map(|k| (k.code(), k.label_zh())),
            )
            .map(Some),
        };
        let code = parse_code(errors, line, &h(3), "point code", t.cell(row, 3));
        let name = t.cell(row, 4);
        if name.is_empty() {
            errors.push(
                line,
                Some(&h(4)),
                "the checkpoint needs a name",
                "请填写点位名称",
            );
        }
        let x = parse_number(errors, line, &h(5), t.cell(row, 5));
        let y = parse_number(errors, line, &h(6), t.cell(row, 6));
        let xy = match (x, y) {
            (Some(Some(x)), Some(Some(y))) => Some(Some((x, y))),
            (Some(None), Some(None)) => Some(None),
            (Some(_), Some(_)) => {
                errors.push(
                    line,
                    Some(&h(5)),
                    "give both coordinates or neither",
                    "坐标X 和 坐标Y 要么都填，要么都不填",
                );
                None
            }
            _ => None,
        };
        let template = parse_code(errors, line, &h(7), "checklist code", t.cell(row, 7));
        let frequency = match t.cell(row, 8) {
            "" => Some(None),
            s => parse_label(
                errors,
                line,
                &h(8),
                s,
                Frequency::from_code_or_label,
                Frequency::ALL.iter().map(|f| (f.code(), f.label_zh())),
            )
            .map(Some),
        };
        let mut routes = Vec::new();
        let mut routes_ok = true;
        for r in t
            .cell(row, 9)
            .split([';', '；', '、', ',', '，', ' '])
            .filter(|s| !s.trim().is_empty())
        {
            match parse_code(errors, line, &h(9), "route code", r) {
                Some(c) if !routes.contains(&c) => routes.push(c),
                Some(_) => {}
                None => routes_ok = false,
            }
        }
        let (Some(zone), Some(zone_kind), Some(code), Some(xy), Some(template), Some(frequency)) =
            (zone, zone_kind, code, xy, template, frequency)
        else {
            continue;
        };
        if name.is_empty() || !routes_ok {
            continue;
        }
        if let Some(first) = seen.get(code.as_str()) {
            errors.push(
                line,
                Some(&h(3)),
                format!("point {code} already appears on line {first}"),
                format!("点位 {code} 已在第 {first} 行出现过"),
            );
            continue;
        }
        seen.insert(code.to_string(), line);
        out.push(PointRow {
            line,
            zone,
            zone_name: t.cell(row, 1).to_string(),
            zone_kind,
            code,
            name: name.to_string(),
            xy,
            template,
            frequency,
            routes,
        });
    }
    out
}

fn apply_checklists(plan: &mut SitePlan, rows: Vec<TemplateRows>, report: &mut ImportReport) {
    for t in rows {
        let latest = plan
            .latest_templates()
            .into_values()
            .find(|have| have.code == t.code)
            .cloned();
        match latest {
            Some(have) if have.name == t.name && have.items == t.items => {
                report.templates_unchanged += 1;
            }
            Some(have) => {
                let version = have.version + 1;
                plan.templates.push(ChecklistTemplate {
                    id: have.id,
                    code: t.code.clone(),
                    name: t.name,
                    version,
                    items: t.items,
                });
                // Checkpoints move to the new version; open patrols keep theirs.
                for cp in plan
                    .checkpoints
                    .iter_mut()
                    .filter(|c| c.template == have.id)
                {
                    cp.template_version = version;
                }
                report
                    .templates_revised
                    .push(format!("{} v{version}", t.code));
            }
            None => {
                plan.templates.push(ChecklistTemplate {
                    id: TemplateId::new(),
                    code: t.code.clone(),
                    name: t.name,
                    version: 1,
                    items: t.items,
                });
                report.templates_added.push(format!("{} v1", t.code));
            }
        }
    }
}

/// Applies checkpoint rows; returns the checkpoints that are new or whose
/// frequency changed (their default schedules follow, see
/// `shared::schedule::apply_frequencies`).
fn apply_checkpoints(
    plan: &mut SitePlan,
    rows: Vec<PointRow>,
    errors: &mut Errors,
    report: &mut ImportReport,
) -> Vec<CheckpointId> {
    let mut scheduling = Vec::new();
    for row in rows {
        let header = |c: usize| Some(CHECKPOINT_COLS[c].zh);
        let Some(template) = plan
            .latest_templates()
            .into_values()
            .find(|t| t.code == row.template)
            .map(|t| (t.id, t.version))
        else {
            errors.push(
                row.line,
                header(7),
                format!(
                    "no checklist {} on this site or in {CHECKLISTS_FILE}",
                    row.template
                ),
                format!("本项目和 {CHECKLISTS_FILE} 中都没有检查表 {}", row.template),
            );
            continue;
        };
        let zone = match plan.zones.iter_mut().find(|z| z.code == row.zone) {
            Some(z) => {
                if !row.zone_name.is_empty() {
                    z.name = row.zone_name.clone();
                }
                if let Some(k) = row.zone_kind {
                    z.kind = k;
                }
                z.id
            }
            None => {
                let Some(kind) = row.zone_kind else {
                    errors.push(
                        row.line,
                        header(2),
                        format!(
                            "zone {} is new: give its type ({})",
                            row.zone,
                            ZoneKind::ALL
                                .iter()
                                .map(|k| k.label_zh())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        format!(
                            "区域 {} 是新的：请填写区域类型（{}）",
                            row.zone,
                            ZoneKind::ALL
                                .iter()
                                .map(|k| k.label_zh())
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                    );
                    continue;
                };
                if row.zone_name.is_empty() {
                    errors.push(
                        row.line,
                        header(1),
                        format!("zone {} is new: give its name", row.zone),
                        format!("区域 {} 是新的：请填写区域名称", row.zone),
                    );
                    continue;
                }
                let z = Zone {
                    id: ZoneId::new(),
                    code: row.zone.clone(),
                    name: row.zone_name.clone(),
                    kind,
                };
                report.zones_added.push(z.code.to_string());
                plan.zones.push(z.clone());
                z.id
            }
        };
        let existing = plan.checkpoints.iter().position(|c| c.code == row.code);
        let cp = Checkpoint {
            id: existing
                .map(|i| plan.checkpoints[i].id)
                .unwrap_or_else(CheckpointId::new),
            zone,
            code: row.code.clone(),
            name: row.name.clone(),
            plan_xy: row.xy,
            template: template.0,
            template_version: template.1,
            frequency: row
                .frequency
                .or(existing.map(|i| plan.checkpoints[i].frequency))
                .unwrap_or(Frequency::Daily),
        };
        match existing {
            Some(i) if plan.checkpoints[i] == cp => report.checkpoints_unchanged += 1,
            Some(i) => {
                if plan.checkpoints[i].frequency != cp.frequency {
                    scheduling.push(cp.id);
                }
                plan.checkpoints[i] = cp.clone();
                report.checkpoints_updated += 1;
            }
            None => {
                scheduling.push(cp.id);
                plan.checkpoints.push(cp.clone());
                report.checkpoints_added += 1;
                report.checkpoints_new.push(cp.code.to_string());
            }
        }
        for r in &row.routes {
            let route = match plan.routes.iter_mut().position(|x| &x.code == r) {
                Some(i) => &mut plan.routes[i],
                None => {
                    plan.routes.push(Route {
                        id: RouteId::new(),
                        code: r.clone(),
                        name: r.to_string(),
                        checkpoints: Vec::new(),
                    });
                    report.routes_added.push(r.to_string());
                    plan.routes.last_mut().expect("just pushed")
                }
            };
            if !route.checkpoints.contains(&cp.id) {
                route.checkpoints.push(cp.id);
            }
        }
    }
    scheduling
}

/// Applies the files to `plan`. On any bad row, returns every error found and
/// leaves `plan` as it was.
pub fn import(
    plan: &mut SitePlan,
    checklists: Option<&str>,
    checkpoints: Option<&str>,
) -> Result<ImportReport, Vec<LineError>> {
    let mut errors = Errors {
        file: CHECKLISTS_FILE,
        list: Vec::new(),
    };
    let templates = checklists
        .map(|t| read_checklists(t, &mut errors))
        .unwrap_or_default();
    errors.file = CHECKPOINTS_FILE;
    let points = checkpoints
        .map(|t| read_checkpoints(t, &mut errors))
        .unwrap_or_default();
    // Rows that parsed are applied to a copy even when others did not, so
    // that references (an unknown checklist, a new zone without a type) are
    // reported in the same pass as the rows' own mistakes.
    let mut next = plan.clone();
    let mut report = ImportReport::default();
    apply_checklists(&mut next, templates, &mut report);
    let scheduling = apply_checkpoints(&mut next, points, &mut errors, &mut report);
    // A new point is walked at its frequency unless a schedule already covers it.
    report.schedules_added = shared::schedule::apply_frequencies(&mut next, &scheduling);
    if !errors.list.is_empty() {
        let mut list = errors.list;
        list.sort_by_key(|e| (e.file != CHECKLISTS_FILE, e.line));
        return Err(list);
    }
    if let Err(e) = next.validate() {
        return Err(vec![LineError {
            file: CHECKPOINTS_FILE.into(),
            line: 0,
            column: None,
            message: format!("the plan would contradict itself: {e}"),
            message_zh: format!("导入后计划会自相矛盾：{e}"),
        }]);
    }
    *plan = next;
    Ok(report)
}

/// Reads complaint service-level cells from `sla.csv`: every bad row is
/// reported, and nothing is returned unless every row is good.
pub fn read_sla(text: &str) -> Result<Vec<shared::deadline::SlaRule>, Vec<LineError>> {
    use shared::codes::{Category, Urgency};
    let mut errors = Errors {
        file: SLA_FILE,
        list: Vec::new(),
    };
    let mut out = Vec::new();
    if let Some(t) = read_table(text, &SLA_COLS, &mut errors) {
        let mut seen: HashMap<(Category, Urgency), u64> = HashMap::new();
        for (line, row) in &t.rows {
            let line = *line;
            let h = |c: usize| t.header(c).to_string();
            let category = parse_label(
                &mut errors,
                line,
                &h(0),
                t.cell(row, 0),
                Category::from_code_or_label,
                Category::ALL.iter().map(|c| (c.code(), c.label_zh())),
            );
            let urgency = parse_label(
                &mut errors,
                line,
                &h(1),
                t.cell(row, 1),
                Urgency::from_code_or_label,
                Urgency::ALL.iter().map(|u| (u.code(), u.label_zh())),
            );
            let whole = |errors: &mut Errors, c: usize| {
                let s = t.cell(row, c);
                s.parse::<u32>()
                    .map_err(|_| {
                        errors.push(
                            line,
                            Some(&h(c)),
                            format!("`{s}` is not a whole number"),
                            format!("“{s}”不是整数"),
                        )
                    })
                    .ok()
            };
            let respond = whole(&mut errors, 2);
            let resolve = whole(&mut errors, 3);
            let (Some(category), Some(urgency), Some(respond_minutes), Some(resolve_hours)) =
                (category, urgency, respond, resolve)
            else {
                continue;
            };
            if let Some(first) = seen.insert((category, urgency), line) {
                errors.push(
                    line,
                    None,
                    format!(
                        "{} / {} is already given on line {first}",
                        category.label_zh(),
                        urgency.label_zh()
                    ),
                    format!(
                        "{} / {} 已在第 {first} 行填写过",
                        category.label_zh(),
                        urgency.label_zh()
                    ),
                );
                continue;
            }
            let rule = shared::deadline::SlaRule {
                category,
                urgency,
                respond_minutes,
                resolve_hours,
            };
            match rule.check() {
                Ok(()) => out.push(rule),
                Err(m) => errors.push(line, None, m, rule.check_in(true).err().unwrap_or_default()),
            }
        }
    }
    if errors.list.is_empty() {
        Ok(out)
    } else {
        Err(errors.list)
    }
}

/// Every complaint service-level cell in force, one per row.
pub fn export_sla(sla: &shared::deadline::ComplaintSla) -> String {
    let mut w = writer();
    w.write_record(SLA_COLS.iter().map(|c| c.zh))
        .expect("memory");
    for r in sla.table() {
        write_row(
            &mut w,
            [
                r.category.label_zh(),
                r.urgency.label_zh(),
                &r.respond_minutes.to_string(),
                &r.resolve_hours.to_string(),
            ],
        );
    }
    finish(w)
}

pub(crate) fn writer() -> csv::Writer<Vec<u8>> {
    let mut buf = Vec::new();
    // A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    buf.extend_from_slice("\u{feff}".as_bytes());
    csv::Writer::from_writer(buf)
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A cell as exported: text a spreadsheet would run as a formula (`=HYPERLINK(…)`,
/// `+cmd|…`, `@SUM(…)`) gets a leading `'`, which spreadsheets show as text and
/// the importer removes again. Plain numbers such as `-5` stay as they are.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) && cell.trim().parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

pub(crate) fn write_row<'a>(
    w: &mut csv::Writer<Vec<u8>>,
    cells: impl IntoIterator<Item = &'a str>,
) {
    w.write_record(
        cells
            .into_iter()
            .map(neutralise)
            .collect::<Vec<_>>()
            .iter()
            .map(|c| c.as_ref()),
    )
    .expect("memory");
}

pub(crate) fn finish(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 text is UTF-8")
}

fn number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The latest version of every checklist, one item per row.
pub fn export_checklists(plan: &SitePlan) -> String {
    let mut w = writer();
    w.write_record(CHECKLIST_COLS.iter().map(|c| c.zh))
        .expect("memory");
    let mut latest: Vec<&ChecklistTemplate> = plan.latest_templates().into_values().collect();
    latest.sort_by(|a, b| a.code.cmp(&b.code));
    for t in latest {
        for item in &t.items {
            let (kind, min, max, unit) = match &item.kind {
                ItemKind::PassFail => (KIND_PASS_FAIL.1, None, None, ""),
                ItemKind::Reading { min, max, unit } => (KIND_READING.1, *min, *max, unit.as_str()),
            };
            write_row(
                &mut w,
                [
                    t.code.as_str(),
                    &t.name,
                    item.code.as_str(),
                    &item.label,
                    item.family.label_zh(),
                    kind,
                    &number(min),
                    &number(max),
                    unit,
                ],
            );
        }
    }
    finish(w)
}

/// Every checkpoint with its zone, coordinates, checklist, frequency and routes.
pub fn export_checkpoints(plan: &SitePlan) -> String {
    let mut w = writer();
    w.write_record(CHECKPOINT_COLS.iter().map(|c| c.zh))
        .expect("memory");
    let templates: BTreeMap<TemplateId, &ChecklistTemplate> = plan.latest_templates();
    for cp in &plan.checkpoints {
        let zone = plan.zone(cp.zone);
        let routes: Vec<&str> = plan
            .routes
            .iter()
            .filter(|r| r.checkpoints.contains(&cp.id))
            .map(|r| r.code.as_str())
            .collect();
        write_row(
            &mut w,
            [
                zone.map(|z| z.code.as_str()).unwrap_or(""),
                zone.map(|z| z.name.as_str()).unwrap_or(""),
                zone.map(|z| z.kind.label_zh()).unwrap_or(""),
                cp.code.as_str(),
                &cp.name,
                &number(cp.plan_xy.map(|p| p.0)),
                &number(cp.plan_xy.map(|p| p.1)),
                templates
                    .get(&cp.template)
                    .map(|t| t.code.as_str())
                    .unwrap_or(""),
                cp.frequency.label_zh(),
                &routes.join(";"),
            ],
        );
    }
    finish(w)
}
