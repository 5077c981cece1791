//! 分析: the site's KPIs for a period (`shared::kpi` defines them), each with
//! the counts it is made of and the change against the previous period, the
//! overdue backlog by age, inspector activity, and a breakdown table.

use crate::components::field;
use crate::{Ctx, run};
use shared::kpi::{By, Figure, Report, Unit, figures, shown};
use yew::prelude::*;

fn this_month(ctx: &Ctx) -> String {
    crate::i18n::local_date(crate::i18n::now(), ctx.offset())[..7].to_string()
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

#[function_component(Analytics)]
pub fn analytics() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let query = use_state(|| (this_month(&ctx), String::new()));
    let report = use_state(|| None::<Report>);
    crate::components::use_initial_values(
        (*query).clone(),
        vec![
            ("an-period".into(), query.0.clone()),
            ("an-by".into(), query.1.clone()),
        ],
    );
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
    let apply = {
        let query = query.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            query.set((field("an-period"), field("an-by")));
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
    html! {
        <section id="analytics">
            <h1>{ ctx.t("analytics.title") }</h1>
            <form class="row" onsubmit={apply}>
                <label>{ ctx.t("analytics.period") }<input type="month" id="an-period" required=true /></label>
                <label>{ ctx.t("analytics.by") }
                    <select id="an-by">
                        <option value="">{ ctx.t("analytics.by_none") }</option>
                        { for By::ALL.iter().map(|b| html! {
                            <option value={b.code()}>{ ctx.t(match b {
                                By::Zone => "analytics.by_zone",
                                By::Route => "analytics.by_route",
                                By::Category => "analytics.by_category",
                                By::Grade => "analytics.by_grade",
                                By::Department => "analytics.by_department",
                                By::Inspector => "analytics.by_inspector",
                                By::Assignee => "analytics.by_assignee",
                            }) }</option>
                        }) }
                    </select>
                </label>
                <button type="submit" id="an-apply">{ ctx.t("coverage.show") }</button>
            </form>
            if let Some(r) = &*report {
                <ul class="tiles" id="an-kpis">
                    { for figures(&r.kpis).into_iter().zip(figures(&r.previous)).map(|((name, zh_name, en, unit, f), (_, _, _, _, before))| html! {
                        <li class="card tile" id={format!("kpi-{name}")} data-value={f.value.map(|v| v.to_string()).unwrap_or_default()}>
                            <div class="muted">{ label(zh_name, en) }</div>
                            <div class="tile-value">{ shown(unit, &f) }</div>
                            <div class="muted counts">{ format!("{}/{}", f.numerator, f.denominator) }</div>
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
                if !r.rows.is_empty() {
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
                                { for figures(&row.kpis).into_iter().filter(|x| COLUMNS.contains(&x.0)).map(|(name, _, _, unit, f)| html! {
                                    <td class={format!("kpi-{name}")}>{ shown(unit, &f) }<span class="muted">{ format!(" {}/{}", f.numerator, f.denominator) }</span></td>
                                }) }
                            </tr>
                        }) }
                    </table>
                }
            }
        </section>
    }
}
