//! 分析: the site's KPIs for a period (`shared::kpi` defines them), each with
//! the counts it is made of and the change against the previous period; the
//! overdue backlog by age and inspector activity; the charts (weekly trends,
//! the categories' Pareto, zone × hour and weekday × hour heat maps, the
//! checkpoints' hot spots on the site plan, the departments' league table);
//! and a breakdown table. Every chart has its numbers as a table beside it,
//! every table downloads as Excel or CSV, and every count made of issues
//! opens the list of exactly those issues ([`AnalyticsIssues`]).
//!
//! Charts are SVG written by these components: the shapes are a few bars,
//! lines, cells and circles, and SVG keeps them crisp at any width with no
//! charting library in the download.

use crate::components::field;
use crate::{Ctx, Page, run};
use shared::kpi::{By, Figure, Hours, Part, Report, Unit, drill_query, figures, shown};
use shared::wire::IssueSummary;
use yew::prelude::*;

fn this_month(ctx: &Ctx) -> String {
    crate::i18n::local_date(crate::i18n::now(), ctx.offset())[..7].to_string()
}

/// The kinds of period the picker offers, each with its own field(s).
#[derive(Clone, Copy, PartialEq)]
enum Span {
    Month,
    Week,
    Day,
    Range,
}

impl Span {
    const ALL: [Span; 4] = [Span::Month, Span::Week, Span::Day, Span::Range];
    fn code(self) -> &'static str {
        match self {
            Span::Month => "month",
            Span::Week => "week",
            Span::Day => "day",
            Span::Range => "range",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Span::Month => "analytics.span_month",
            Span::Week => "analytics.span_week",
            Span::Day => "analytics.span_day",
            Span::Range => "analytics.span_range",
        }
    }
    /// The kind of a period as the API writes it (2026-11, 2026-W45, 2026-11-03, a..b).
    fn of(period: &str) -> Span {
        if period.contains("..") {
            Span::Range
        } else if period.contains("-W") {
            Span::Week
        } else if period.len() == 10 {
            Span::Day
        } else {
            Span::Month
        }
    }
    fn from_code(code: &str) -> Span {
        Span::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Span::Month)
    }
}

/// The picker's starting values: the period shown in its own field(s), and
/// today's month, week and day (and this month so far) in the others.
fn picker_values(ctx: &Ctx, period: &str) -> Vec<(String, String)> {
    use chrono::Datelike;
    let today = crate::i18n::local_date(crate::i18n::now(), ctx.offset());
    let week = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
        .map(|d| {
            let w = d.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        })
        .unwrap_or_default();
    let mut values = vec![
        ("an-period".to_string(), today[..7].to_string()),
        ("an-week".to_string(), week),
        ("an-day".to_string(), today.clone()),
        ("an-from".to_string(), format!("{}-01", &today[..7])),
        ("an-to".to_string(), today),
    ];
    let mut set = |id: &str, v: &str| {
        if let Some(slot) = values.iter_mut().find(|(k, _)| k == id) {
            slot.1 = v.to_string();
        }
    };
    match Span::of(period) {
        Span::Month => set("an-period", period),
        Span::Week => set("an-week", period),
        Span::Day => set("an-day", period),
        Span::Range => {
            if let Some((a, b)) = period.split_once("..") {
                set("an-from", a);
                set("an-to", b);
            }
        }
    }
    values
}

/// The period the picker's fields say.
fn picked_period() -> String {
    match Span::from_code(&field("an-span")) {
        Span::Month => field("an-period"),
        Span::Week => field("an-week"),
        Span::Day => field("an-day"),
        Span::Range => format!("{}..{}", field("an-from"), field("an-to")),
    }
}

/// The change of a share in percentage points, of anything else in its unit.
fn change(unit: Unit, now: &Figure, before: &Figure) -> Option<String> {
    let (a, b) = (now.value?, before.value?);
    Some(match unit {
        Unit::Share => format!("{:+.1} pt", (a - b) * 100.0),
        Unit::Hours => format!("{:+.1} h", a - b),
        Unit::Per100 => format!("{:+.1}", a - b),
        Unit::Count => format!("{:+.0}", a - b),
    })
}

/// The columns of the breakdown table.
const COLUMNS: [&str; 8] = [
    "coverage",
    "pass_rate",
    "findings_per_100_checks",
    "on_time_rectification",
    "first_pass_acceptance",
    "fix_hours_median",
    "overdue_backlog",
    "repeat_rate",
];

/// The league table's columns.
const LEAGUE: [&str; 5] = [
    "on_time_rectification",
    "fix_hours_median",
    "assigned_fix_hours_median",
    "first_pass_acceptance",
    "overdue_backlog",
];

fn drillable(kpi: &str) -> bool {
    shared::kpi::DRILLABLE.contains(&kpi)
}

/// A link to the issues behind a count (`query`: see [`drill_query`]).
fn drill(ctx: &Ctx, query: String, label: String, content: Html) -> Html {
    let go = ctx.go.clone();
    let q = query.clone();
    html! {
        <a class="drill" href={format!("#/analytics/issues?{query}")} aria-label={label.clone()} title={label}
            onclick={Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                go.emit(Page::AnalyticsIssues { query: q.clone() });
            })}>{ content }</a>
    }
}

/// The period and breakdown in the address (`#/analytics?period=…&by=…`).
fn from_address(ctx: &Ctx) -> (String, String) {
    let q = shared::app::query_pairs(&crate::route::current_query());
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    (
        get("period")
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| this_month(ctx)),
        get("by").unwrap_or_default(),
    )
}

/// "Excel" and "CSV" buttons downloading one table of the report.
#[derive(Properties, PartialEq)]
struct ExportProps {
    period: String,
    by: String,
    table: &'static str,
}

#[function_component(Export)]
fn export(p: &ExportProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let button = |format: &'static str, text: &'static str| {
        let (ctx, period, by, table) = (ctx.clone(), p.period.clone(), p.by.clone(), p.table);
        let onclick = Callback::from(move |_| {
            let b = ctx.backend.clone();
            let (period, by) = (period.clone(), by.clone());
            let name = format!("{}-{period}-{table}.{format}", ctx.session.site.code);
            run(
                &ctx,
                async move { b.analytics_file(&period, &by, table, format).await },
                move |buf| {
                    let mime = crate::components::table_mime(format);
                    let _ = crate::components::download(&name, &buf, mime);
                },
            );
        });
        html! {
            <button type="button" class="small" id={format!("export-{table}-{format}")} {onclick}>{ text }</button>
        }
    };
    html! {
        <span class="exports">{ button("xlsx", "Excel") }{ button("csv", "CSV") }</span>
    }
}

/// A chart card: its title, export buttons, the chart, and its numbers as a table.
fn card(ctx: &Ctx, id: &str, title: &str, export: Html, chart: Html, table: Html) -> Html {
    html! {
        <div class="card chart" id={id.to_string()}>
            <div class="row"><strong>{ title.to_string() }</strong><span class="grow"></span>{ export }</div>
            { chart }
            <details>
                <summary>{ ctx.t("analytics.numbers") }</summary>
                { table }
            </details>
        </div>
    }
}

fn pct(f: &Figure) -> Option<f64> {
    f.value.map(|v| v * 100.0)
}

/// Weekly findings (bars) with 整改及时率 and coverage (lines, 0–100 %).
fn trend_chart(ctx: &Ctx, r: &Report) -> Html {
    let (w, h, left, bottom) = (320.0, 150.0, 28.0, 20.0);
    let n = r.trend.len().max(1) as f64;
    let step = (w - left) / n;
    let top = r.trend.iter().map(|t| t.findings).max().unwrap_or(0).max(1) as f64;
    let y_count = |c: f64| (h - bottom) - c / top * (h - bottom - 18.0);
    let y_pct = |p: f64| (h - bottom) - p / 100.0 * (h - bottom - 18.0);
    let line = |f: fn(&shared::kpi::Week) -> Option<f64>| {
        r.trend
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                f(t).map(|p| format!("{:.1},{:.1}", left + step * (i as f64 + 0.5), y_pct(p)))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let findings = ctx.t("analytics.findings_week");
    html! {
        <svg class="chart" viewBox={format!("0 0 {w} {h}")} role="group" aria-label={ctx.t("analytics.trend")}>
            <line x1={left.to_string()} y1={(h - bottom).to_string()} x2={w.to_string()} y2={(h - bottom).to_string()} class="axis" />
            <text x="0" y={y_pct(100.0).to_string()} class="tick">{ "100%" }</text>
            <text x="0" y={y_pct(50.0).to_string()} class="tick">{ "50%" }</text>
            { for r.trend.iter().enumerate().map(|(i, t)| {
                let x = left + step * i as f64;
                let y = y_count(t.findings as f64);
                let label = format!("{} {} {}", t.label, findings, t.findings);
                let bar = html! {
                    <rect class="col" data-count={t.findings.to_string()} x={format!("{:.1}", x + step * 0.2)} y={format!("{y:.1}")}
                        width={format!("{:.1}", step * 0.6)} height={format!("{:.1}", (h - bottom) - y)} />
                };
                html! {
                    <g class="week" data-week={t.label.clone()}>
                        { drill(ctx, drill_query(&t.label, "findings_per_100_checks", Part::Denominator, None), label, bar) }
                        if t.findings > 0 {
                            <text x={format!("{:.1}", x + step * 0.5)} y={format!("{:.1}", y - 2.0)} class="tick" text-anchor="middle">{ t.findings }</text>
                        }
                        <text x={format!("{:.1}", x + step * 0.5)} y={(h - 6.0).to_string()} class="tick" text-anchor="middle">{ t.label.split("-W").nth(1).map(|w| format!("W{w}")).unwrap_or_default() }</text>
                    </g>
                }
            }) }
            <polyline class="line on-time" points={line(|t| pct(&t.on_time_rectification))} />
            <polyline class="line coverage" points={line(|t| pct(&t.coverage))} />
        </svg>
    }
}

fn trend_table(ctx: &Ctx, r: &Report) -> Html {
    html! {
        <table class="list" id="an-trend-table" tabindex="0" aria-label={ctx.t("analytics.trend")}>
            <tr><th>{ ctx.t("analytics.week") }</th><th>{ ctx.t("analytics.findings_week") }</th>
                <th>{ "整改及时率" }</th><th>{ "巡查完成率" }</th></tr>
            { for r.trend.iter().map(|t| html! {
                <tr data-week={t.label.clone()}>
                    <td>{ &t.label }</td>
                    <td class="findings">{ t.findings }</td>
                    <td class="on-time">{ shown(Unit::Share, &t.on_time_rectification) }<span class="muted">{ format!(" {}/{}", t.on_time_rectification.numerator, t.on_time_rectification.denominator) }</span></td>
                    <td class="coverage">{ shown(Unit::Share, &t.coverage) }<span class="muted">{ format!(" {}/{}", t.coverage.numerator, t.coverage.denominator) }</span></td>
                </tr>
            }) }
        </table>
    }
}

/// Categories by issues raised, most first, with the cumulative share.
fn pareto_chart(ctx: &Ctx, r: &Report, period: &str) -> Html {
    let (w, h, bottom) = (320.0, 150.0, 22.0);
    let total: u64 = r.pareto.iter().map(|c| c.count).sum();
    let top = r.pareto.first().map_or(1, |c| c.count.max(1)) as f64;
    let n = r.pareto.len().max(1) as f64;
    let step = w / n;
    let mut running = 0;
    let mut shares = Vec::new();
    let points: Vec<String> = r
        .pareto
        .iter()
        .enumerate()
        .map(|(i, c)| {
            running += c.count;
            let share = running as f64 / total.max(1) as f64;
            shares.push(share * 100.0);
            format!(
                "{:.1},{:.1}",
                step * (i as f64 + 0.5),
                (h - bottom) - share * (h - bottom - 18.0)
            )
        })
        .collect();
    html! {
        <svg class="chart" viewBox={format!("0 0 {w} {h}")} role="group" aria-label={ctx.t("analytics.pareto")}>
            <line x1="0" y1={(h - bottom).to_string()} x2={w.to_string()} y2={(h - bottom).to_string()} class="axis" />
            { for r.pareto.iter().enumerate().map(|(i, c)| {
                let x = step * i as f64;
                let y = (h - bottom) - c.count as f64 / top * (h - bottom - 18.0);
                let bar = html! {
                    <rect class="col" data-count={c.count.to_string()} x={format!("{:.1}", x + step * 0.15)} y={format!("{y:.1}")}
                        width={format!("{:.1}", step * 0.7)} height={format!("{:.1}", (h - bottom) - y)} />
                };
                html! {
                    <g class="category" data-key={c.key.clone()}>
                        { drill(ctx, drill_query(period, "raised", Part::Denominator, Some((By::Category, &c.key))), format!("{} {}", c.name, c.count), bar) }
                        <text x={format!("{:.1}", x + step * 0.5)} y={format!("{:.1}", y - 2.0)} class="tick" text-anchor="middle">{ c.count }</text>
                        <text x={format!("{:.1}", x + step * 0.5)} y={(h - 6.0).to_string()} class="tick" text-anchor="middle">{ c.name.chars().take(4).collect::<String>() }</text>
                    </g>
                }
            }) }
            <polyline class="line cumulative" points={points.join(" ")} />
            { for points.iter().zip(&shares).map(|(p, share)| {
                let (x, y) = p.split_once(',').unwrap_or_default();
                html! { <>
                    <circle class="dot cumulative" cx={x.to_string()} cy={y.to_string()} r="2.5" />
                    <text class="tick" x={x.to_string()} y={format!("{:.1}", y.parse::<f64>().unwrap_or(0.0) - 4.0)} text-anchor="middle">{ format!("{share:.0}%") }</text>
                </> }
            }) }
        </svg>
    }
}

fn pareto_table(ctx: &Ctx, r: &Report) -> Html {
    let total: u64 = r.pareto.iter().map(|c| c.count).sum();
    let mut running = 0;
    html! {
        <table class="list" id="an-pareto-table" tabindex="0" aria-label={ctx.t("analytics.pareto")}>
            <tr><th>{ ctx.t("analytics.by_category") }</th><th>{ ctx.t("analytics.issues") }</th><th>{ ctx.t("analytics.cumulative") }</th></tr>
            { for r.pareto.iter().map(|c| {
                running += c.count;
                html! {
                    <tr data-key={c.key.clone()}>
                        <td>{ &c.name }</td>
                        <td class="count">{ c.count }</td>
                        <td>{ format!("{:.1}%", running as f64 * 100.0 / total.max(1) as f64) }</td>
                    </tr>
                }
            }) }
        </table>
    }
}

/// A heat map: one row per key, one cell per hour, shaded by its count;
/// every non-empty cell opens its issues. It is its own table of numbers.
fn heat(
    ctx: &Ctx,
    id: &str,
    label: String,
    corner: &'static str,
    rows: &[Hours],
    names: &dyn Fn(&Hours) -> String,
    query: &dyn Fn(&Hours, usize) -> String,
) -> Html {
    let top = rows
        .iter()
        .flat_map(|r| r.hours.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    html! {
        <table class="list heat" id={id.to_string()} tabindex="0" aria-label={label}>
            <tr><th>{ ctx.t(corner) }</th>{ for (0..24).map(|h| html! { <th class="hour">{ h }</th> }) }<th>{ ctx.t("analytics.total") }</th></tr>
            { for rows.iter().map(|r| {
                let name = names(r);
                html! {
                    <tr data-key={r.key.clone()}>
                        <th class="key">{ name.clone() }</th>
                        { for r.hours.iter().enumerate().map(|(h, n)| {
                            // Five shades, each with a text colour that reads on it.
                            let level = (*n as f64 / top * 5.0).ceil() as u32;
                            html! {
                                <td class={format!("cell heat-{level}")} data-hour={h.to_string()} data-count={n.to_string()}>
                                    if *n > 0 {
                                        { drill(ctx, query(r, h), format!("{name} {h}时 {n}"), html! { { n } }) }
                                    }
                                </td>
                            }
                        }) }
                        <td class="count">{ r.hours.iter().sum::<u64>() }</td>
                    </tr>
                }
            }) }
        </table>
    }
}

/// The checkpoints on the site plan, sized and coloured by issues raised at each.
fn spots_chart(ctx: &Ctx, r: &Report, period: &str) -> Html {
    let spots = &r.hot_spots;
    let (min_x, max_x) = spots
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), s| (a.min(s.x), b.max(s.x)));
    let (min_y, max_y) = spots
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), s| (a.min(s.y), b.max(s.y)));
    let (w, h, pad) = (320.0, 200.0, 16.0);
    let sx = (max_x - min_x).max(1.0);
    let sy = (max_y - min_y).max(1.0);
    let top = spots.iter().map(|s| s.count).max().unwrap_or(0).max(1) as f64;
    html! {
        <svg class="chart plan" viewBox={format!("0 0 {w} {h}")} role="group" aria-label={ctx.t("analytics.hot_spots")}>
            <rect x="1" y="1" width={(w - 2.0).to_string()} height={(h - 2.0).to_string()} class="frame" />
            { for spots.iter().map(|s| {
                let x = pad + (s.x - min_x) / sx * (w - 2.0 * pad);
                // Plan y grows upwards; the screen's downwards.
                let y = h - pad - (s.y - min_y) / sy * (h - 2.0 * pad);
                let heat = s.count as f64 / top;
                let radius = 3.0 + 9.0 * heat.sqrt();
                let dot = html! {
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{radius:.1}")}
                        class={if s.count == 0 { "spot none" } else { "spot" }}
                        style={format!("fill: rgba(200, 50, 30, {:.2})", 0.25 + 0.7 * heat)}>
                        <title>{ format!("{} {} · {}", s.code, s.name, s.count) }</title>
                    </circle>
                };
                html! {
                    <g class="spot" data-code={s.code.clone()} data-count={s.count.to_string()}>
                        if s.count > 0 {
                            { drill(ctx, format!("{}&checkpoint={}", drill_query(period, "raised", Part::Denominator, None), shared::app::url_escape(&s.code)), format!("{} {} {}", s.code, s.name, s.count), dot) }
                        } else {
                            { dot }
                        }
                    </g>
                }
            }) }
        </svg>
    }
}

fn spots_table(ctx: &Ctx, r: &Report) -> Html {
    let mut spots = r.hot_spots.clone();
    spots.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    html! {
        <table class="list" id="an-spots-table" tabindex="0" aria-label={ctx.t("analytics.hot_spots")}>
            <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("analytics.issues") }</th></tr>
            { for spots.iter().map(|s| html! {
                <tr data-code={s.code.clone()}><td>{ &s.code }</td><td>{ &s.name }</td><td class="count">{ s.count }</td></tr>
            }) }
        </table>
    }
}

/// A figure's cell in a table: its value, and its counts opening the issues behind them.
fn figure_cell(
    ctx: &Ctx,
    period: &str,
    group: Option<(By, &str)>,
    name: &'static str,
    unit: Unit,
    f: &Figure,
) -> Html {
    let counts = format!(" {}/{}", f.numerator, f.denominator);
    html! {
        <td class={format!("kpi-{name}")}>
            { shown(unit, f) }
            if drillable(name) && f.denominator > 0 {
                { drill(ctx, drill_query(period, name, Part::Denominator, group), format!("{name} {}", f.denominator), html! { <span class="muted">{ counts }</span> }) }
            } else {
                <span class="muted">{ counts }</span>
            }
        </td>
    }
}

#[function_component(Analytics)]
pub fn analytics() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let query = use_state(|| from_address(&ctx));
    let report = use_state(|| None::<Report>);
    let span = use_state(|| Span::of(&query.0));
    crate::components::use_initial_values((*query).clone(), picker_values(&ctx, &query.0));
    let on_span = {
        let span = span.clone();
        Callback::from(move |_: Event| span.set(Span::from_code(&field("an-span"))))
    };
    {
        let (ctx, report) = (ctx.clone(), report.clone());
        use_effect_with((*query).clone(), move |(period, by)| {
            let (period, by) = (period.clone(), by.clone());
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.analytics(&period, &by).await }
                },
                move |r| report.set(Some(r)),
            );
        });
    }
    // The group view: the person's sites side by side, when they read the
    // analysis of more than one (集团品质, a manager of several estates).
    let group = !ctx.backend.is_app()
        && ctx
            .session
            .sites
            .iter()
            .filter(|s| shared::policy::permits(s.role, shared::policy::Action::ReadCoverage))
            .count()
            > 1;
    let sites = use_state(|| None::<Vec<shared::kpi::Row>>);
    {
        let (ctx, sites) = (ctx.clone(), sites.clone());
        use_effect_with(query.0.clone(), move |period| {
            if group {
                let period = period.clone();
                run(
                    &ctx,
                    {
                        let b = ctx.backend.clone();
                        async move { b.analytics_sites(&period).await }
                    },
                    move |rows| sites.set(Some(rows)),
                );
            }
        });
    }
    let apply = {
        let query = query.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (period, by) = (picked_period(), field("an-by"));
            let mut address = format!("#/analytics?period={}", shared::app::url_escape(&period));
            if !by.is_empty() {
                address.push_str(&format!("&by={}", shared::app::url_escape(&by)));
            }
            crate::route::replace(&address);
            query.set((period, by));
        })
    };
    let zh = ctx.lang == crate::i18n::Lang::Zh;
    // Zones, routes and people have codes people use; categories, grades and
    // departments are known by their names only.
    let coded = report.as_ref().is_some_and(|r| {
        matches!(
            r.by,
            Some(By::Zone | By::Route | By::Inspector | By::Assignee)
        )
    });
    let label = move |zh_name: &'static str, en: &'static str| if zh { zh_name } else { en };
    let (period, by_code) = (*query).clone();
    let export = |table: &'static str| {
        // Files are downloaded on the dashboard; the app only reads.
        if ctx.backend.is_app() {
            return html! {};
        }
        html! { <Export period={period.clone()} by={by_code.clone()} {table} /> }
    };
    html! {
        <section id="analytics">
            <h1>{ ctx.t("analytics.title") }</h1>
            <form class="row" onsubmit={apply}>
                <label>{ ctx.t("analytics.span") }
                    <select id="an-span" onchange={on_span}>
                        { for Span::ALL.iter().map(|s| html! {
                            <option value={s.code()} selected={*s == Span::of(&query.0)}>{ ctx.t(s.key()) }</option>
                        }) }
                    </select>
                </label>
                // Every field stays in the page (hidden when not in use), so none is re-created.
                <label hidden={*span != Span::Month}>{ ctx.t("analytics.period") }<input type="month" id="an-period" /></label>
                <label hidden={*span != Span::Week}>{ ctx.t("analytics.span_week") }<input type="week" id="an-week" /></label>
                <label hidden={*span != Span::Day}>{ ctx.t("analytics.span_day") }<input type="date" id="an-day" /></label>
                <label hidden={*span != Span::Range}>{ ctx.t("coverage.from") }<input type="date" id="an-from" /></label>
                <label hidden={*span != Span::Range}>{ ctx.t("coverage.to") }<input type="date" id="an-to" /></label>
                <label>{ ctx.t("analytics.by") }
                    <select id="an-by">
                        <option value="" selected={query.1.is_empty()}>{ ctx.t("analytics.by_none") }</option>
                        { for By::ALL.iter().map(|b| html! {
                            <option value={b.code()} selected={b.code() == query.1}>{ ctx.t(by_key(*b)) }</option>
                        }) }
                    </select>
                </label>
                <button type="submit" id="an-apply">{ ctx.t("coverage.show") }</button>
            </form>
            if let Some(rows) = &*sites {
                { sites_card(&ctx, rows, export("sites")) }
            }
            if let Some(r) = &*report {
                <div class="row"><span class="grow"></span>{ export("kpis") }</div>
                <ul class="tiles" id="an-kpis">
                    { for figures(&r.kpis).into_iter().zip(figures(&r.previous)).map(|((name, zh_name, en, unit, f), (_, _, _, _, before))| html! {
                        <li class="card tile" id={format!("kpi-{name}")} data-value={f.value.map(|v| v.to_string()).unwrap_or_default()}>
                            <div class="muted">{ label(zh_name, en) }</div>
                            <div class="tile-value">{ shown(unit, &f) }</div>
                            <div class="muted counts">
                                if drillable(name) && f.denominator > 0 {
                                    { drill(&ctx, drill_query(&period, name, Part::Numerator, None), format!("{} {}", label(zh_name, en), f.numerator), html! { { f.numerator } }) }
                                    { "/" }
                                    { drill(&ctx, drill_query(&period, name, Part::Denominator, None), format!("{} {}", label(zh_name, en), f.denominator), html! { { f.denominator } }) }
                                } else {
                                    { format!("{}/{}", f.numerator, f.denominator) }
                                }
                            </div>
                            <div class="muted">{ format!("{} {}", ctx.t("analytics.previous"), shown(unit, &before)) }
                                { change(unit, &f, &before).map(|c| format!(" ({c})")).unwrap_or_default() }</div>
                        </li>
                    }) }
                </ul>
                <div class="card" id="an-backlog">
                    <strong>{ ctx.t("analytics.backlog_age") }</strong>
                    { format!(" ≤1d {} · 1–3d {} · 3–7d {} · >7d {}", r.backlog_by_age[0], r.backlog_by_age[1], r.backlog_by_age[2], r.backlog_by_age[3]) }
                </div>
                <div class="card" id="an-activity">
                    <strong>{ ctx.t("analytics.activity") }</strong>
                    { format!(" {} {} · {} {} · {} {}", ctx.t("analytics.rounds"), r.activity.rounds, ctx.t("analytics.checkpoints"), r.activity.checkpoints, ctx.t("analytics.findings"), r.activity.findings) }
                    <div class="muted">{ format!("{}: <10s {} · 10–30s {} · 30–120s {} · ≥120s {} · ? {}", ctx.t("analytics.dwell"), r.activity.dwell[0], r.activity.dwell[1], r.activity.dwell[2], r.activity.dwell[3], r.activity.dwell[4]) }</div>
                </div>
                <div class="charts">
                    { card(&ctx, "an-trend", ctx.t("analytics.trend"), export("trend"),
                        html! { <>
                            { trend_chart(&ctx, r) }
                            <div class="legend muted"><span class="key col"></span>{ ctx.t("analytics.findings_week") }
                                <span class="key on-time"></span>{ label("整改及时率", "On-time rectification") }
                                <span class="key coverage"></span>{ label("巡查完成率", "Patrol coverage") }</div>
                        </> },
                        trend_table(&ctx, r)) }
                    { card(&ctx, "an-pareto", ctx.t("analytics.pareto"), export("pareto"),
                        if r.pareto.is_empty() { html! { <p class="muted">{ ctx.t("analytics.no_issues") }</p> } } else { pareto_chart(&ctx, r, &period) },
                        pareto_table(&ctx, r)) }
                    { card(&ctx, "an-spots", ctx.t("analytics.hot_spots"), export("hot_spots"),
                        if r.hot_spots.is_empty() { html! { <p class="muted">{ ctx.t("analytics.no_plan_xy") }</p> } } else { spots_chart(&ctx, r, &period) },
                        spots_table(&ctx, r)) }
                </div>
                <div class="card chart" id="an-zone-hours">
                    <div class="row"><strong>{ ctx.t("analytics.zone_hours") }</strong><span class="grow"></span>{ export("zone_hours") }</div>
                    if r.zone_hours.is_empty() {
                        <p class="muted">{ ctx.t("analytics.no_issues") }</p>
                    } else {
                        { heat(&ctx, "an-zone-hours-table", ctx.t("analytics.zone_hours").to_string(), "analytics.by_zone", &r.zone_hours,
                            &|h: &Hours| if h.name.is_empty() { h.key.clone() } else { h.name.clone() },
                            &|h: &Hours, hour: usize| format!("{}&hour={hour}", drill_query(&period, "raised", Part::Denominator, Some((By::Zone, &h.key))))) }
                    }
                </div>
                <div class="card chart" id="an-weekday-hours">
                    <div class="row"><strong>{ ctx.t("analytics.weekday_hours") }</strong><span class="grow"></span>{ export("weekday_hours") }</div>
                    { heat(&ctx, "an-weekday-hours-table", ctx.t("analytics.weekday_hours").to_string(), "analytics.weekday", &r.weekday_hours,
                        &|h: &Hours| ctx.t(weekday_key(&h.key)).to_string(),
                        &|h: &Hours, hour: usize| format!("{}&weekday={}&hour={hour}", drill_query(&period, "raised", Part::Denominator, None), h.key)) }
                </div>
                <div class="card chart" id="an-league">
                    <div class="row"><strong>{ ctx.t("analytics.league") }</strong><span class="grow"></span>{ export("league") }</div>
                    <table class="list" id="an-league-table" tabindex="0" aria-label={ctx.t("analytics.league")}>
                        <tr>
                            <th>{ ctx.t("analytics.by_department") }</th>
                            { for figures(&r.kpis).into_iter().filter(|x| LEAGUE.contains(&x.0)).map(|(_, zh_name, en, _, _)| html! { <th>{ label(zh_name, en) }</th> }) }
                        </tr>
                        { for r.league.iter().map(|row| html! {
                            <tr id={format!("an-league-{}", row.key)}>
                                <td>{ if row.name.is_empty() { ctx.t("analytics.unassigned").to_string() } else { row.name.clone() } }</td>
                                { for figures(&row.kpis).into_iter().filter(|x| LEAGUE.contains(&x.0)).map(|(name, _, _, unit, f)|
                                    figure_cell(&ctx, &period, Some((By::Department, &row.key)), name, unit, &f)) }
                            </tr>
                        }) }
                    </table>
                </div>
                <div class="card chart" id="an-satisfaction">
                    <div class="row"><strong>{ ctx.t("analytics.satisfaction") }</strong>
                        <span class="muted">{ format!("{} {}", r.satisfaction.answers, ctx.t("analytics.answers")) }</span>
                        <span class="grow"></span>{ export("satisfaction") }</div>
                    <table class="list" id="an-satisfaction-table" tabindex="0" aria-label={ctx.t("analytics.satisfaction")}>
                        <tr>
                            <th>{ ctx.t("analytics.dimension") }</th>
                            <th>{ ctx.t("analytics.answers") }</th>
                            <th>{ ctx.t("analytics.mean") }</th>
                            <th>{ "CSI" }</th>
                            <th>{ ctx.t("analytics.low_scores") }</th>
                        </tr>
                        { for r.satisfaction.dimensions.iter().map(|d| html! {
                            <tr id={format!("an-dim-{}", d.dimension.code())}>
                                <td>{ crate::label!(ctx.lang, d.dimension) }</td>
                                <td>{ d.answers }</td>
                                <td>{ d.mean.map(|m| format!("{m:.2}")).unwrap_or_else(|| "—".into()) }</td>
                                <td>{ d.csi.map(|c| format!("{c:.1}")).unwrap_or_else(|| "—".into()) }</td>
                                <td>{ d.low }</td>
                            </tr>
                        }) }
                    </table>
                    <table class="list" id="an-satisfaction-months" tabindex="0" aria-label={ctx.t("analytics.satisfaction_months")}>
                        <tr>
                            <th>{ ctx.t("analytics.month") }</th>
                            <th>{ "NPS" }</th>
                            <th>{ "CSI" }</th>
                        </tr>
                        { for r.satisfaction.months.iter().map(|m| html! {
                            <tr id={format!("an-month-{}", m.month)}>
                                <td>{ &m.month }</td>
                                <td>{ m.nps.value.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into()) }</td>
                                <td>{ m.csi.value.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }) }
                    </table>
                </div>
                if let (false, Some(by)) = (r.rows.is_empty(), r.by) {
                    <div class="card" id="an-breakdown">
                        <div class="row"><strong>{ ctx.t(by_key(by)) }</strong><span class="grow"></span>{ export("rows") }</div>
                        <table class="list" id="an-rows" tabindex="0" aria-label={ctx.t("analytics.by")}>
                            <tr>
                                if coded { <th>{ ctx.t("plan.code") }</th> }
                                <th>{ ctx.t("plan.name") }</th>
                                { for figures(&r.kpis).into_iter().filter(|x| COLUMNS.contains(&x.0)).map(|(_, zh_name, en, _, _)| html! { <th>{ label(zh_name, en) }</th> }) }
                            </tr>
                            { for r.rows.iter().map(|row| html! {
                                <tr id={format!("an-row-{}", row.key)}>
                                    if coded { <td>{ &row.key }</td> }
                                    <td>{ &row.name }</td>
                                    { for figures(&row.kpis).into_iter().filter(|x| COLUMNS.contains(&x.0)).map(|(name, _, _, unit, f)|
                                        figure_cell(&ctx, &period, Some((by, &row.key)), name, unit, &f)) }
                                </tr>
                            }) }
                        </table>
                    </div>
                }
            }
        </section>
    }
}

/// The league table of the person's sites: each site's figures with their
/// counts; a site's name opens that site's own analysis for the same period.
fn sites_card(ctx: &Ctx, rows: &[shared::kpi::Row], export: Html) -> Html {
    let zh = ctx.lang == crate::i18n::Lang::Zh;
    let here = ctx.session.site.code.to_string();
    html! {
        <div class="card chart" id="an-sites">
            <div class="row"><strong>{ ctx.t("analytics.sites") }</strong><span class="grow"></span>{ export }</div>
            <table class="list" id="an-sites-table" tabindex="0" aria-label={ctx.t("analytics.sites")}>
                <tr>
                    <th>{ ctx.t("analytics.site") }</th>
                    { for figures(&shared::kpi::Kpis::default()).into_iter().filter(|x| COLUMNS.contains(&x.0)).map(|(_, zh_name, en, _, _)| html! { <th>{ if zh { zh_name } else { en } }</th> }) }
                </tr>
                { for rows.iter().map(|row| {
                    let current = row.key == here;
                    let open = {
                        let (switch, code) = (ctx.switch_site.clone(), row.key.clone());
                        Callback::from(move |_| switch.emit(code.clone()))
                    };
                    html! {
                        <tr id={format!("an-site-{}", row.key)} aria-current={current.then_some("true")}>
                            <td>
                                if current {
                                    <strong>{ &row.name }</strong>
                                } else {
                                    <button class="link" id={format!("an-site-open-{}", row.key)}
                                        title={ctx.t("analytics.open_site")} onclick={open}>{ &row.name }</button>
                                }
                            </td>
                            { for figures(&row.kpis).into_iter().filter(|x| COLUMNS.contains(&x.0)).map(|(name, _, _, unit, f)| html! {
                                <td class={format!("kpi-{name}")}>{ shown(unit, &f) }
                                    <span class="muted">{ format!(" {}/{}", f.numerator, f.denominator) }</span></td>
                            }) }
                        </tr>
                    }
                }) }
            </table>
        </div>
    }
}

/// A breakdown group's name for people (its code when the plan does not know it).
fn group_name(ctx: &Ctx, by: By, key: &str) -> String {
    use shared::codes::{Category, Department, Grade};
    let plan = ctx.plan.as_ref();
    let named = match by {
        By::Category => Category::ALL
            .iter()
            .find(|c| c.code() == key)
            .map(|c| crate::label!(ctx.lang, *c).to_string()),
        By::Grade => Grade::ALL
            .iter()
            .find(|g| g.code() == key)
            .map(|g| crate::label!(ctx.lang, *g).to_string()),
        By::Department => Department::ALL
            .iter()
            .find(|d| d.code() == key)
            .map(|d| crate::label!(ctx.lang, *d).to_string()),
        By::Zone => plan
            .and_then(|p| p.zones.iter().find(|z| z.code.as_str() == key))
            .map(|z| z.name.clone()),
        By::Route => plan
            .and_then(|p| p.routes.iter().find(|r| r.code.as_str() == key))
            .map(|r| r.name.clone()),
        By::Inspector | By::Assignee => Some(ctx.person(key)),
    };
    match named {
        _ if key == "-" => ctx.t("analytics.none").to_string(),
        Some(n) => n,
        None => key.to_string(),
    }
}

fn weekday_key(d: &str) -> &'static str {
    match d {
        "1" => "weekday.1",
        "2" => "weekday.2",
        "3" => "weekday.3",
        "4" => "weekday.4",
        "5" => "weekday.5",
        "6" => "weekday.6",
        _ => "weekday.7",
    }
}

fn by_key(b: By) -> &'static str {
    match b {
        By::Zone => "analytics.by_zone",
        By::Route => "analytics.by_route",
        By::Category => "analytics.by_category",
        By::Grade => "analytics.by_grade",
        By::Department => "analytics.by_department",
        By::Inspector => "analytics.by_inspector",
        By::Assignee => "analytics.by_assignee",
    }
}

#[derive(Properties, PartialEq)]
pub struct DrillProps {
    /// The query of `GET /api/v1/analytics/issues` (see [`drill_query`]).
    pub query: String,
}

/// The issues behind one figure, bar, cell or point of 分析.
#[function_component(AnalyticsIssues)]
pub fn analytics_issues(p: &DrillProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let list = use_state(|| None::<Vec<IssueSummary>>);
    {
        let (ctx, list) = (ctx.clone(), list.clone());
        use_effect_with(p.query.clone(), move |q| {
            let q = q.clone();
            list.set(None);
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.analytics_issues(&q).await }
                },
                move |l| list.set(Some(l)),
            );
        });
    }
    let pairs = shared::app::query_pairs(&p.query);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let kpi = get("kpi");
    let zh = ctx.lang == crate::i18n::Lang::Zh;
    let figure = figures(&Default::default())
        .into_iter()
        .find(|f| f.0 == kpi)
        .map(|(_, zh_name, en, _, _)| if zh { zh_name } else { en }.to_string())
        .unwrap_or_else(|| ctx.t("analytics.raised").to_string());
    let part = match get("part").as_str() {
        "numerator" => ctx.t("analytics.part_numerator"),
        "rest" => ctx.t("analytics.part_rest"),
        _ => ctx.t("analytics.part_denominator"),
    }
    .to_string();
    let mut about = vec![get("period"), figure, part];
    let by = get("by");
    if let Ok(b) = by.parse::<By>() {
        about.push(format!(
            "{} {}",
            ctx.t(by_key(b)),
            group_name(&ctx, b, &get("key"))
        ));
    }
    if !get("weekday").is_empty() {
        about.push(ctx.t(weekday_key(&get("weekday"))).to_string());
    }
    if !get("hour").is_empty() {
        about.push(format!("{}:00–{}:59", get("hour"), get("hour")));
    }
    if !get("checkpoint").is_empty() {
        about.push(ctx.point(&get("checkpoint")));
    }
    html! {
        <section id="analytics-issues">
            <h1>{ ctx.t("analytics.behind") }</h1>
            <p class="muted" id="drill-about">{ about.join(" · ") }</p>
            { match &*list {
                None => html! { <p class="muted">{ ctx.t("loading") }</p> },
                Some(l) => html! { <>
                    <p id="drill-count">{ format!("{} {}", l.len(), ctx.t("analytics.issues")) }</p>
                    <crate::pages::issues::IssueList list={l.clone()} />
                </> },
            } }
        </section>
    }
}
