//! The monthly quality report (月度品质报告) of one site: the KPIs of the
//! analysis with the same definitions (beside the month before), charts of
//! the weekly trend and the top problems, the overdue list, repeat problems
//! with their root-cause status, coverage by route, complaints and
//! satisfaction, and the ledger's chain head when it was made — so a printed
//! report pins the ledger. A4 PDF, and a workbook of the data.
//!
//! Made on demand, and by the server's job for the month just ended: stored
//! once per site and month (the store's key decides, so a job that runs
//! twice, or on two replicas, stores and announces one report).

use crate::analytics::{self, Cell, DrillQuery, Table};
use crate::error::ApiError;
use crate::forms::{Col, FormError, GREY, Layout, MARGIN, Op, PAGE_W};
use crate::sheet::Format;
use crate::store::{Store, Txn};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use krilla::text::Font;
use shared::kpi::{By, Report, Unit};
use shared::plan::SitePlan;
use shared::repeat::RootCause;
use shared::text::Said;
use shared::wire::{IssueSummary, MonthlyReportInfo};

/// Rows at most in one list of the PDF (the workbook has them all).
const LIST_ROWS: usize = 40;

/// What a monthly report holds.
pub struct Monthly {
    pub plan: SitePlan,
    /// `YYYY-MM`.
    pub period: String,
    /// The analysis of the month, broken down by route (coverage by route).
    pub report: Report,
    /// Open and overdue at the month's end.
    pub overdue: Vec<IssueSummary>,
    /// Repeats raised in the month, with the root-cause record that covers each.
    pub repeats: Vec<(IssueSummary, Option<RootCause>)>,
    /// Complaints raised in the month.
    pub complaints: Vec<IssueSummary>,
    /// The ledger's head when the report was made: entry number and hash.
    pub ledger: Option<(u64, String)>,
    /// 设施合规率 on the month's last day (or today, while the month runs),
    /// judged from the register as it stood when the report was made.
    pub equipment: shared::equipment::Compliance,
    /// The register's rows on that day that are not compliant.
    pub equipment_faults: Vec<shared::equipment::EquipmentView>,
    pub generated_at: DateTime<Utc>,
}

/// `YYYY-MM`, or a clear refusal.
pub fn parse_month(period: &str) -> Result<NaiveDate, Said> {
    let p = period.trim();
    NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| p.len() == 7)
        .ok_or_else(|| {
            Said::new(
                format!("`{period}` is not a month; write YYYY-MM"),
                format!("“{period}”不是月份：请写成 YYYY-MM"),
            )
        })
}

/// The month before the one `now` falls in on the site's clock, `YYYY-MM`.
pub fn previous_month(plan_offset: chrono::FixedOffset, now: DateTime<Utc>) -> String {
    let today = now.with_timezone(&plan_offset).date_naive();
    let first = today.with_day(1).expect("day 1");
    let last_month = first.pred_opt().expect("a day before");
    format!("{:04}-{:02}", last_month.year(), last_month.month())
}

fn drill(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    period: &str,
    kpi: &str,
    part: &str,
    now: DateTime<Utc>,
) -> Result<Vec<IssueSummary>, ApiError> {
    analytics::drill(
        txn,
        plan,
        &DrillQuery {
            period: period.into(),
            kpi: kpi.into(),
            part: Some(part.into()),
            by: None,
            key: None,
            hour: None,
            weekday: None,
            checkpoint: None,
        },
        now,
    )
}

/// Gathers the report of `plan`'s site for month `period` as of `now`.
pub fn load(
    txn: &mut dyn Txn,
    plan: SitePlan,
    period: &str,
    now: DateTime<Utc>,
) -> Result<Monthly, ApiError> {
    parse_month(period).map_err(|e| ApiError::invalid(&e))?;
    let period = period.trim().to_string();
    let report = analytics::report(txn, &plan, &period, Some(By::Route), now)?;
    let mut overdue = drill(txn, &plan, &period, "overdue_backlog", "numerator", now)?;
    overdue.sort_by_key(|s| (s.deadline, s.id));
    let repeats = drill(txn, &plan, &period, "repeat_rate", "numerator", now)?;
    let causes = txn.root_causes(plan.site.id)?;
    let repeats = repeats
        .into_iter()
        .map(|s| {
            let cause = causes.iter().find(|c| c.issues.contains(&s.id)).cloned();
            (s, cause)
        })
        .collect();
    let mut complaints: Vec<IssueSummary> =
        drill(txn, &plan, &period, "raised", "denominator", now)?
            .into_iter()
            .filter(|s| s.complaint_location.is_some())
            .collect();
    complaints.sort_by_key(|s| (s.raised_at, s.id));
    let ledger = txn.ledger_head(plan.site.id)?;
    let list = txn.equipment_of(plan.site.id)?;
    let last_day = (report.period.to.min(now) - chrono::Duration::seconds(1))
        .with_timezone(&plan.site.deadlines.offset())
        .date_naive();
    let equipment = shared::equipment::compliance(&list, last_day);
    let equipment_faults = list
        .iter()
        .filter(|e| !e.retired && !e.compliant(last_day))
        .map(|e| e.view(last_day, 0))
        .collect();
    Ok(Monthly {
        plan,
        period,
        report,
        overdue,
        repeats,
        complaints,
        ledger,
        equipment,
        equipment_faults,
        generated_at: now,
    })
}

impl Monthly {
    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.plan.site.deadlines.offset())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn point(&self, s: &IssueSummary) -> String {
        match &s.checkpoint {
            Some(code) => match self.plan.checkpoint_by_code(code) {
                Some(cp) => format!("{code} {}", cp.name),
                None => code.clone(),
            },
            None => s.complaint_location.clone().unwrap_or_else(|| "—".into()),
        }
    }

    /// The ledger head as printed: `第 N 条 · HASH`, or that it is empty.
    pub fn ledger_line(&self) -> String {
        match &self.ledger {
            Some((n, hash)) => format!("第 {n} 条 · {hash}"),
            None => "台账为空".into(),
        }
    }

    /// What the store keeps about it.
    pub fn info(&self, pdf: &[u8], xlsx: &[u8]) -> MonthlyReportInfo {
        MonthlyReportInfo {
            period: self.period.clone(),
            generated_at: self.generated_at,
            ledger_entry: self.ledger.as_ref().map(|l| l.0),
            ledger_head: self.ledger.as_ref().map(|l| l.1.clone()),
            pdf_bytes: pdf.len() as u64,
            xlsx_bytes: xlsx.len() as u64,
        }
    }
}

fn days_late(deadline: Option<DateTime<Utc>>, at: DateTime<Utc>) -> String {
    deadline
        .map(|d| format!("{:.1}", (at - d).num_minutes().max(0) as f64 / 1440.0))
        .unwrap_or_default()
}

/// A bar chart `height` points tall across the page: one bar per entry
/// (label, value, the value as printed), scaled to the largest.
fn bar_chart(l: &mut Layout, bars: &[(String, f64, String)], height: f32) {
    let total_h = height + 34.0;
    l.room(total_h);
    let width = PAGE_W - 2.0 * MARGIN;
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(1e-9);
    let slot = width / bars.len().max(1) as f32;
    let bar_w = (slot * 0.6).min(48.0);
    let base = l.y + 12.0 + height;
    l.line(MARGIN, base, MARGIN + width, base, 0.6);
    for (i, (label, value, shown)) in bars.iter().enumerate() {
        let h = (*value / max) as f32 * height;
        let x = MARGIN + i as f32 * slot + (slot - bar_w) / 2.0;
        if h > 0.0 {
            l.op(Op::Shade {
                x,
                y: base - h,
                w: bar_w,
                h,
                color: (70, 120, 180),
            });
        }
        l.text(x, base - h - 3.0, 7.5, shown.clone());
        l.text(
            MARGIN + i as f32 * slot + 2.0,
            base + 11.0,
            7.0,
            crate::forms::fit(label, 7.0, slot - 4.0),
        );
    }
    l.y += total_h;
}

/// A section heading, kept on one page with the first `keep` points of what follows.
fn heading(l: &mut Layout, text: &str, keep: f32) {
    l.room(40.0 + keep);
    l.y += 6.0;
    l.op(Op::Shade {
        x: MARGIN,
        y: l.y,
        w: PAGE_W - 2.0 * MARGIN,
        h: 20.0,
        color: GREY,
    });
    l.text(MARGIN + 4.0, l.y + 14.5, 12.0, text);
    l.y += 28.0;
}

/// The KPI rows: name, this month, the month before, numerator / denominator.
fn kpi_rows(m: &Monthly) -> Vec<Vec<Vec<String>>> {
    let now = shared::kpi::figures(&m.report.kpis);
    let before = shared::kpi::figures(&m.report.previous);
    now.iter()
        .zip(before.iter())
        .map(|((name, zh, _, unit, f), (_, _, _, _, p))| {
            let counts = match unit {
                Unit::Share | Unit::Per100 if f.denominator > 0 => {
                    format!("{} / {}", f.numerator, f.denominator)
                }
                _ if f.value.is_none() && matches!(*name, "nps" | "csi") => "暂无调查数据".into(),
                _ => String::new(),
            };
            vec![
                vec![zh.to_string()],
                vec![shared::kpi::shown(*unit, f)],
                vec![shared::kpi::shown(*unit, p)],
                vec![counts],
            ]
        })
        .collect()
}

/// The report as an A4 PDF.
pub fn pdf(m: &Monthly, font: Font) -> Result<Vec<u8>, FormError> {
    let plan = &m.plan;
    let r = &m.report;
    let mut l = Layout::new();
    let full = PAGE_W - 2.0 * MARGIN;
    l.text(MARGIN, l.y + 24.0, 22.0, "月度品质报告");
    l.y += 38.0;
    l.para(
        11.0,
        format!(
            "项目：{}（{}）    报告期：{}",
            plan.site.name, plan.site.code, m.period
        ),
    );
    l.para(9.5, format!("生成时间：{}", m.local(m.generated_at)));
    l.para(9.5, format!("台账链头：{}", m.ledger_line()));
    l.para(
        8.0,
        "链头为生成本报告时台账哈希链的最后一条；用 sync-server ledger verify 可核对台账未被改动。",
    );

    heading(&mut l, "一、关键指标", 60.0);
    l.table(
        &[
            Col("指标", 170.0),
            Col("本月", 90.0),
            Col("上月", 90.0),
            Col("分子 / 分母", full - 350.0),
        ],
        &kpi_rows(m),
        9.0,
    );
    let a = &r.activity;
    l.para(
        9.5,
        format!(
            "巡查 {} 轮；逾期未整改按时长：≤1天 {}，1–3天 {}，3–7天 {}，>7天 {}。",
            a.rounds,
            r.backlog_by_age[0],
            r.backlog_by_age[1],
            r.backlog_by_age[2],
            r.backlog_by_age[3]
        ),
    );

    heading(&mut l, "二、近八周趋势（巡查发现问题数）", 124.0);
    let weeks: Vec<(String, f64, String)> = r
        .trend
        .iter()
        .map(|w| (w.label.clone(), w.findings as f64, w.findings.to_string()))
        .collect();
    bar_chart(&mut l, &weeks, 90.0);
    let on_time: Vec<String> = r
        .trend
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                &w.label[5..],
                shared::kpi::shown(Unit::Share, &w.on_time_rectification)
            )
        })
        .collect();
    l.para(8.5, format!("整改及时率：{}", on_time.join("  ")));

    heading(&mut l, "三、主要问题（按类别）", 114.0);
    let total: u64 = r.pareto.iter().map(|c| c.count).sum();
    if r.pareto.is_empty() {
        l.para(9.5, "本月未发现问题。");
    } else {
        let bars: Vec<(String, f64, String)> = r
            .pareto
            .iter()
            .take(8)
            .map(|c| (c.name.clone(), c.count as f64, c.count.to_string()))
            .collect();
        bar_chart(&mut l, &bars, 80.0);
        let mut running = 0;
        let rows: Vec<Vec<Vec<String>>> = r
            .pareto
            .iter()
            .map(|c| {
                running += c.count;
                vec![
                    vec![c.name.clone()],
                    vec![c.count.to_string()],
                    vec![format!(
                        "{:.1}%",
                        c.count as f64 * 100.0 / total.max(1) as f64
                    )],
                    vec![format!(
                        "{:.1}%",
                        running as f64 * 100.0 / total.max(1) as f64
                    )],
                ]
            })
            .collect();
        l.table(
            &[
                Col("类别", 180.0),
                Col("问题数", 90.0),
                Col("占比", 90.0),
                Col("累计占比", full - 360.0),
            ],
            &rows,
            9.0,
        );
    }

    heading(
        &mut l,
        &format!("四、逾期未整改（{} 项）", m.overdue.len()),
        60.0,
    );
    if m.overdue.is_empty() {
        l.para(9.5, "月末无逾期未整改问题。");
    } else {
        let end = r.period.to.min(m.generated_at);
        let rows: Vec<Vec<Vec<String>>> = m
            .overdue
            .iter()
            .take(LIST_ROWS)
            .map(|s| {
                vec![
                    vec![s.title.clone()],
                    vec![m.point(s)],
                    vec![
                        s.department
                            .map(|d| d.label_zh().to_string())
                            .unwrap_or_else(|| "未派单".into()),
                    ],
                    vec![s.deadline.map(|d| m.local(d)).unwrap_or_default()],
                    vec![days_late(s.deadline, end)],
                ]
            })
            .collect();
        l.table(
            &[
                Col("问题", 150.0),
                Col("点位", 120.0),
                Col("责任部门", 60.0),
                Col("整改期限", 90.0),
                Col("逾期(天)", full - 420.0),
            ],
            &rows,
            8.5,
        );
        if m.overdue.len() > LIST_ROWS {
            l.para(
                9.0,
                format!("另有 {} 项见 Excel 附表。", m.overdue.len() - LIST_ROWS),
            );
        }
    }

    heading(
        &mut l,
        &format!("五、重复问题及根因分析（{} 项）", m.repeats.len()),
        60.0,
    );
    if m.repeats.is_empty() {
        l.para(9.5, "本月无重复问题。");
    } else {
        let rows: Vec<Vec<Vec<String>>> = m
            .repeats
            .iter()
            .take(LIST_ROWS)
            .map(|(s, c)| {
                vec![
                    vec![s.title.clone()],
                    vec![m.point(s)],
                    vec![s.category.label_zh().to_string()],
                    vec![
                        c.as_ref()
                            .map(|c| c.status.label_zh().to_string())
                            .unwrap_or_else(|| "未建根因分析".into()),
                    ],
                ]
            })
            .collect();
        l.table(
            &[
                Col("问题", 170.0),
                Col("点位", 140.0),
                Col("类别", 80.0),
                Col("根因分析", full - 390.0),
            ],
            &rows,
            8.5,
        );
    }

    heading(&mut l, "六、巡查覆盖（按路线）", 60.0);
    if r.rows.is_empty() {
        l.para(9.5, "本项目未设路线。");
    } else {
        let rows: Vec<Vec<Vec<String>>> = r
            .rows
            .iter()
            .map(|row| {
                let c = &row.kpis.coverage;
                let name = match (row.name.as_str(), row.key.as_str()) {
                    ("", "") => "不属任何路线（临时巡查）".to_string(),
                    ("", key) => key.to_string(),
                    (name, _) => name.to_string(),
                };
                vec![
                    vec![name],
                    vec![shared::kpi::shown(Unit::Share, c)],
                    vec![format!("{} / {}", c.numerator, c.denominator)],
                    vec![shared::kpi::shown(Unit::Share, &row.kpis.pass_rate)],
                ]
            })
            .collect();
        l.table(
            &[
                Col("路线", 190.0),
                Col("巡查完成率", 90.0),
                Col("已检 / 应检", 100.0),
                Col("检查合格率", full - 380.0),
            ],
            &rows,
            9.0,
        );
    }

    heading(&mut l, "七、投诉与满意度", 40.0);
    let k = &r.kpis;
    l.para(
        9.5,
        format!(
            "本月投诉 {} 件；投诉及时率 {}；回访满意率 {}；净推荐值 {}；客户满意度指数 {}。",
            m.complaints.len(),
            shared::kpi::shown(Unit::Share, &k.complaint_on_time),
            shared::kpi::shown(Unit::Share, &k.callback_satisfaction),
            shared::kpi::shown(Unit::Count, &k.nps),
            shared::kpi::shown(Unit::Count, &k.csi),
        ),
    );
    let sat = &r.satisfaction;
    if sat.answers == 0 {
        l.para(
            8.5,
            "（本月无住户满意度调查数据，净推荐值与满意度指数空缺。）",
        );
    } else {
        l.para(
            9.5,
            format!(
                "满意度调查 {} 份，其中 {} 份转二次处理。",
                sat.answers, sat.follow_ups
            ),
        );
        let rows: Vec<Vec<Vec<String>>> = sat
            .dimensions
            .iter()
            .map(|d| {
                vec![
                    vec![d.name.clone()],
                    vec![d.answers.to_string()],
                    vec![
                        d.mean
                            .map(|m| format!("{m:.2}"))
                            .unwrap_or_else(|| "—".into()),
                    ],
                    vec![
                        d.csi
                            .map(|c| format!("{c:.1}"))
                            .unwrap_or_else(|| "—".into()),
                    ],
                    vec![d.low.to_string()],
                ]
            })
            .collect();
        l.table(
            &[
                Col("服务维度", 120.0),
                Col("评分份数", 80.0),
                Col("平均分", 80.0),
                Col("满意度指数", 90.0),
                Col("低分(1-2)", full - 370.0),
            ],
            &rows,
            9.0,
        );
        let months: Vec<String> = sat
            .months
            .iter()
            .map(|m| {
                format!(
                    "{} NPS {} / CSI {}",
                    m.month,
                    shared::kpi::shown(Unit::Count, &m.nps),
                    m.csi
                        .value
                        .map(|c| format!("{c:.1}"))
                        .unwrap_or_else(|| "—".into())
                )
            })
            .collect();
        for line in crate::forms::wrap(&format!("近六个月：{}", months.join("；")), 8.5, full)
        {
            l.para(8.5, line);
        }
    }
    if !m.complaints.is_empty() {
        let rows: Vec<Vec<Vec<String>>> = m
            .complaints
            .iter()
            .take(LIST_ROWS)
            .map(|s| {
                vec![
                    vec![s.title.clone()],
                    vec![m.point(s)],
                    vec![s.status.label_zh().to_string()],
                    vec![match s.satisfied {
                        Some(true) => "满意".into(),
                        Some(false) => "不满意".into(),
                        None => "—".into(),
                    }],
                ]
            })
            .collect();
        l.table(
            &[
                Col("投诉", 190.0),
                Col("位置", 140.0),
                Col("状态", 70.0),
                Col("回访", full - 400.0),
            ],
            &rows,
            8.5,
        );
    }

    heading(&mut l, "八、部门对比", 60.0);
    let rows: Vec<Vec<Vec<String>>> = r
        .league
        .iter()
        .map(|row| {
            vec![
                vec![row.name.clone()],
                vec![shared::kpi::shown(
                    Unit::Share,
                    &row.kpis.on_time_rectification,
                )],
                vec![shared::kpi::shown(Unit::Hours, &row.kpis.fix_hours_median)],
                vec![shared::kpi::shown(Unit::Count, &row.kpis.overdue_backlog)],
            ]
        })
        .collect();
    l.table(
        &[
            Col("部门", 170.0),
            Col("整改及时率", 100.0),
            Col("整改时长中位数", 110.0),
            Col("逾期积压", full - 380.0),
        ],
        &rows,
        9.0,
    );
    equipment_section(&mut l, m);
    l.signatures(&["编制", "审核"]);
    crate::forms::render(
        &l,
        &[],
        None,
        &font,
        &format!("{} · 月度品质报告 {}", plan.site.name, m.period),
    )
}

/// 九、设施设备合规: the rate, by kind, and the equipment not compliant.
fn equipment_section(l: &mut Layout, m: &Monthly) {
    let full = PAGE_W - 2.0 * MARGIN;
    let c = &m.equipment;
    heading(l, "九、设施设备合规", 60.0);
    if c.rate.denominator == 0 {
        l.para(9.5, "设施设备台账中没有在用设备。");
        return;
    }
    l.para(
        9.5,
        format!(
            "设施合规率（设备台账，截至 {}）：{}（{} / {} 台在用设备的保养与年检均在有效期内）。\
             一、关键指标中的“设施合规率”为巡查中设施类检查项的合格率。",
            c.day,
            shared::kpi::shown(Unit::Share, &c.rate),
            c.rate.numerator,
            c.rate.denominator
        ),
    );
    let rows: Vec<Vec<Vec<String>>> = c
        .kinds
        .iter()
        .map(|k| {
            vec![
                vec![k.kind.label_zh().to_string()],
                vec![k.rate.denominator.to_string()],
                vec![k.rate.numerator.to_string()],
                vec![shared::kpi::shown(Unit::Share, &k.rate)],
            ]
        })
        .collect();
    l.table(
        &[
            Col("设备类型", 170.0),
            Col("在用", 90.0),
            Col("合规", 90.0),
            Col("合规率", full - 350.0),
        ],
        &rows,
        9.0,
    );
    if m.equipment_faults.is_empty() {
        return;
    }
    let rows: Vec<Vec<Vec<String>>> = m
        .equipment_faults
        .iter()
        .take(LIST_ROWS)
        .map(|v| {
            let e = &v.equipment;
            vec![
                vec![e.code.to_string()],
                vec![e.name.clone(), e.kind.label_zh().to_string()],
                vec![v.maintenance.label_zh().to_string()],
                vec![
                    v.inspection.label_zh().to_string(),
                    e.inspection_due.map(|d| d.to_string()).unwrap_or_default(),
                ],
            ]
        })
        .collect();
    l.para(9.5, "不合规设备：");
    l.table(
        &[
            Col("设备编号", 100.0),
            Col("设备", 170.0),
            Col("保养", 90.0),
            Col("年检", full - 360.0),
        ],
        &rows,
        8.5,
    );
}

/// The equipment sheets of the workbook: compliance by kind, and the
/// equipment not compliant.
fn equipment_tables(m: &Monthly) -> [Table; 2] {
    let share = |f: &shared::kpi::Figure| f.value.map(Cell::Share).unwrap_or(Cell::Empty);
    let c = &m.equipment;
    let mut rows: Vec<Vec<Cell>> = vec![vec![
        Cell::Text("全部".into()),
        Cell::Number(c.rate.denominator as f64),
        Cell::Number(c.rate.numerator as f64),
        share(&c.rate),
    ]];
    rows.extend(c.kinds.iter().map(|k| {
        vec![
            Cell::Text(k.kind.label_zh().into()),
            Cell::Number(k.rate.denominator as f64),
            Cell::Number(k.rate.numerator as f64),
            share(&k.rate),
        ]
    }));
    let date = |d: Option<NaiveDate>| d.map(|d| Cell::Text(d.to_string())).unwrap_or(Cell::Empty);
    [
        Table {
            id: "equipment",
            title: "设施合规率",
            headers: ["设备类型", "在用", "合规", "合规率"]
                .map(String::from)
                .to_vec(),
            rows,
        },
        Table {
            id: "equipment_faults",
            title: "不合规设备",
            headers: [
                "设备编号",
                "设备名称",
                "设备类型",
                "位置",
                "保养",
                "下次保养",
                "年检",
                "年检到期",
            ]
            .map(String::from)
            .to_vec(),
            rows: m
                .equipment_faults
                .iter()
                .map(|v| {
                    let e = &v.equipment;
                    vec![
                        Cell::Text(e.code.to_string()),
                        Cell::Text(e.name.clone()),
                        Cell::Text(e.kind.label_zh().into()),
                        Cell::Text(e.location.clone()),
                        Cell::Text(v.maintenance.label_zh().into()),
                        date(v.next_maintenance),
                        Cell::Text(v.inspection.label_zh().into()),
                        date(e.inspection_due),
                    ]
                })
                .collect(),
        },
    ]
}

fn issue_table(
    id: &'static str,
    title: &'static str,
    m: &Monthly,
    issues: &[(&IssueSummary, String)],
    last: &str,
) -> Table {
    let text = |s: String| Cell::Text(s);
    Table {
        id,
        title,
        headers: [
            "问题编号",
            "问题",
            "点位",
            "类别",
            "等级",
            "状态",
            "责任部门",
            "整改期限",
            "发现时间",
            last,
        ]
        .map(String::from)
        .to_vec(),
        rows: issues
            .iter()
            .map(|(s, extra)| {
                vec![
                    text(s.id.to_string()),
                    text(s.title.clone()),
                    text(m.point(s)),
                    text(s.category.label_zh().into()),
                    text(s.grade.label_zh().into()),
                    text(s.status.label_zh().into()),
                    s.department
                        .map(|d| text(d.label_zh().into()))
                        .unwrap_or(Cell::Empty),
                    s.deadline.map(|d| text(m.local(d))).unwrap_or(Cell::Empty),
                    text(m.local(s.raised_at)),
                    text(extra.clone()),
                ]
            })
            .collect(),
    }
}

/// The report's data as tables: the workbook's sheets.
pub fn tables(m: &Monthly) -> Vec<Table> {
    let r = &m.report;
    let about = Table {
        id: "about",
        title: "报告信息",
        headers: vec!["项目".into(), "值".into()],
        rows: [
            ("项目编号", m.plan.site.code.to_string()),
            ("项目名称", m.plan.site.name.clone()),
            ("报告期", m.period.clone()),
            ("生成时间", m.local(m.generated_at)),
            (
                "台账链头条目",
                m.ledger
                    .as_ref()
                    .map(|l| l.0.to_string())
                    .unwrap_or_default(),
            ),
            (
                "台账链头哈希",
                m.ledger.as_ref().map(|l| l.1.clone()).unwrap_or_default(),
            ),
            ("本月投诉", m.complaints.len().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| vec![Cell::Text(k.into()), Cell::Text(v)])
        .collect(),
    };
    let mut out = vec![about];
    for id in [
        "kpis",
        "trend",
        "pareto",
        "league",
        "satisfaction",
        "satisfaction_months",
    ] {
        out.extend(analytics::table(r, id));
    }
    if let Some(mut routes) = analytics::table(r, "rows") {
        routes.title = "路线";
        out.push(routes);
    }
    let end = r.period.to.min(m.generated_at);
    let overdue: Vec<(&IssueSummary, String)> = m
        .overdue
        .iter()
        .map(|s| (s, days_late(s.deadline, end)))
        .collect();
    out.push(issue_table(
        "overdue",
        "逾期未整改",
        m,
        &overdue,
        "逾期(天)",
    ));
    let repeats: Vec<(&IssueSummary, String)> = m
        .repeats
        .iter()
        .map(|(s, c)| {
            (
                s,
                c.as_ref()
                    .map(|c| c.status.label_zh().to_string())
                    .unwrap_or_else(|| "未建根因分析".into()),
            )
        })
        .collect();
    out.push(issue_table("repeats", "重复问题", m, &repeats, "根因分析"));
    let complaints: Vec<(&IssueSummary, String)> = m
        .complaints
        .iter()
        .map(|s| {
            (
                s,
                match s.satisfied {
                    Some(true) => "满意".into(),
                    Some(false) => "不满意".into(),
                    None => String::new(),
                },
            )
        })
        .collect();
    out.push(issue_table("complaints", "投诉", m, &complaints, "回访"));
    out.extend(equipment_tables(m));
    out
}

/// The report in both formats: (PDF, workbook).
pub fn files(m: &Monthly, fonts: &photo::stamp::Fonts) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let pdf = pdf(m, crate::forms::font(fonts)?)?;
    let xlsx = analytics::xlsx_book(&tables(m)).map_err(crate::sheet::workbook_error)?;
    Ok((pdf, xlsx))
}

/// Month `period`'s report of `plan`'s site as `format`: the stored one when
/// the job has made it (the copy that pins the ledger), else made now.
/// True when it is the stored copy.
pub fn fetch(
    store: &dyn Store,
    plan: SitePlan,
    period: &str,
    format: Format,
    fonts: &photo::stamp::Fonts,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, bool), ApiError> {
    parse_month(period).map_err(|e| ApiError::invalid(&e))?;
    let mut txn = store.read()?;
    if let Some(bytes) =
        txn.monthly_report_file(plan.site.id, period.trim(), format == Format::Xlsx)?
    {
        return Ok((bytes, true));
    }
    let m = load(&mut *txn, plan, period, now)?;
    drop(txn);
    let bytes = match format {
        Format::Pdf => pdf(&m, crate::forms::font(fonts)?)?,
        Format::Xlsx => analytics::xlsx_book(&tables(&m)).map_err(crate::sheet::workbook_error)?,
    };
    Ok((bytes, false))
}

/// What a webhook receives when a monthly report has been stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportAnnounced {
    pub id: uuid::Uuid,
    /// `monthly_report`.
    pub kind: String,
    pub site: String,
    pub period: String,
    pub generated_at: DateTime<Utc>,
    pub ledger_entry: Option<u64>,
    pub ledger_head: Option<String>,
    /// API paths of the two files.
    pub pdf: String,
    pub xlsx: String,
}

/// The job's step: for every site whose month has ended and has no stored
/// report, makes it, stores it (once: the store's key decides) and, when a
/// webhook is set, queues its announcement. A site whose report cannot be
/// made is logged and tried again at the next run; the others go on.
/// Returns the reports stored.
pub fn run(
    store: &dyn Store,
    fonts: &dyn Fn() -> photo::stamp::Fonts,
    now: DateTime<Utc>,
    webhook: bool,
) -> Result<usize, ApiError> {
    let sites = store.read()?.sites()?;
    let mut stored = 0;
    let mut found_fonts = None;
    for site in sites {
        let period = previous_month(site.deadlines.offset(), now);
        match file_one(store, &site, &period, &mut found_fonts, fonts, now, webhook) {
            Ok(true) => {
                stored += 1;
                tracing::info!(site = %site.code, period = %period, "monthly report stored");
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(site = %site.code, period = %period, error = %e.message, "monthly report not made");
            }
        }
    }
    Ok(stored)
}

/// Files `site`'s report of `period` unless it is stored; true when this call stored it.
fn file_one(
    store: &dyn Store,
    site: &shared::plan::Site,
    period: &str,
    found_fonts: &mut Option<photo::stamp::Fonts>,
    fonts: &dyn Fn() -> photo::stamp::Fonts,
    now: DateTime<Utc>,
    webhook: bool,
) -> Result<bool, ApiError> {
    if store.read()?.has_monthly_report(site.id, period)? {
        return Ok(false);
    }
    let m = {
        let mut txn = store.read()?;
        let (_, plan) = crate::accounts::load_plan(&mut *txn, site)
            .map_err(|e| ApiError::from(crate::error::StoreError::Corrupt(e.to_string())))?;
        load(&mut *txn, plan, period, now)?
    };
    let (pdf, xlsx) = files(&m, found_fonts.get_or_insert_with(fonts))?;
    let info = m.info(&pdf, &xlsx);
    let mut txn = store.begin()?;
    let filed = txn.put_monthly_report(site.id, &info, &pdf, &xlsx)?;
    if filed && webhook {
        let event = ReportAnnounced {
            id: crate::jobs::derived_id(&[
                b"monthly_report",
                site.id.as_uuid().as_bytes(),
                period.as_bytes(),
            ]),
            kind: "monthly_report".into(),
            site: site.code.to_string(),
            period: period.to_string(),
            generated_at: info.generated_at,
            ledger_entry: info.ledger_entry,
            ledger_head: info.ledger_head.clone(),
            pdf: format!("/api/v1/reports/monthly?period={period}&format=pdf"),
            xlsx: format!("/api/v1/reports/monthly?period={period}&format=xlsx"),
        };
        let body = serde_json::to_string(&event).expect("event serializes");
        txn.queue_webhook(event.id, &body, now)?;
    }
    txn.commit()?;
    Ok(filed)
}
