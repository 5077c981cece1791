//! 台账与报告: the site's monthly quality reports (those the server's job
//! stored, each with the ledger head it printed, and any month on demand), and
//! its ledger of accepted changes: download the entries received in a range of
//! days (Excel or CSV, with the hash chain), and have the server recompute the
//! chain: whole with its head, or the first entry that does not match.

use crate::components::field;
use crate::{Ctx, run};
use shared::wire::LedgerVerification;
use yew::prelude::*;

#[function_component(LedgerPage)]
pub fn ledger_page() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let checked = use_state(|| None::<LedgerVerification>);
    let today = crate::i18n::local_date(crate::i18n::now(), ctx.offset());
    crate::components::use_initial_values(
        (),
        vec![
            ("ledger-from".into(), format!("{}-01", &today[..7])),
            ("ledger-to".into(), today.clone()),
        ],
    );
    let download = |format: &'static str, text: &'static str| {
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_| {
            let (from, to) = (field("ledger-from"), field("ledger-to"));
            let name = format!("{}-ledger-{from}-{to}.{format}", ctx.session.site.code);
            let b = ctx.backend.clone();
            run(
                &ctx,
                async move { b.ledger_file(&from, &to, format).await },
                move |buf| {
                    let mime = crate::components::table_mime(format);
                    let _ = crate::components::download(&name, &buf, mime);
                },
            );
        });
        html! { <button type="button" id={format!("ledger-{format}")} {onclick}>{ text }</button> }
    };
    let verify = {
        let (ctx, checked) = (ctx.clone(), checked.clone());
        Callback::from(move |_| {
            let b = ctx.backend.clone();
            let checked = checked.clone();
            run(&ctx, async move { b.ledger_verify().await }, move |v| {
                checked.set(Some(v))
            });
        })
    };
    let zh = ctx.lang == crate::i18n::Lang::Zh;
    html! {
        <section id="ledger">
            <Reports />
            <h1>{ ctx.t("ledger.title") }</h1>
            <p class="muted">{ ctx.t("ledger.intro") }</p>
            <div class="card">
                <strong>{ ctx.t("ledger.export") }</strong>
                <div class="row">
                    <label>{ ctx.t("coverage.from") }<input type="date" id="ledger-from" /></label>
                    <label>{ ctx.t("coverage.to") }<input type="date" id="ledger-to" /></label>
                    { download("xlsx", "Excel") }
                    { download("csv", "CSV") }
                </div>
            </div>
            <div class="card">
                <button type="button" id="ledger-verify" onclick={verify}>{ ctx.t("ledger.verify") }</button>
                if let Some(v) = &*checked {
                    if v.whole {
                        <p class="ok" id="ledger-result" role="status">
                            { format!("{}：{} {}", ctx.t("ledger.whole"), v.entries, ctx.t("ledger.entries")) }
                            <br />
                            <span class="muted">{ format!("{} {}", ctx.t("ledger.head"), v.head) }</span>
                        </p>
                    } else {
                        <p class="error" id="ledger-result" role="alert">
                            { if zh { v.reason_zh.clone() } else { v.reason.clone() }.unwrap_or_default() }
                        </p>
                    }
                }
            </div>
        </section>
    }
}

/// Downloads month `period`'s report as `format`.
fn fetch_report(ctx: &Ctx, period: String, format: &'static str) {
    let name = format!("{}-monthly-report-{period}.{format}", ctx.session.site.code);
    let b = ctx.backend.clone();
    let (notify, ready) = (ctx.notify.clone(), ctx.t("reports.ready"));
    run(
        ctx,
        async move { b.monthly_report(&period, format).await },
        move |buf| {
            let mime = crate::components::table_mime(format);
            let _ = crate::components::download(&name, &buf, mime);
            notify.emit((false, ready.to_string()));
        },
    );
}

/// 月度品质报告: the stored reports, and any month made on demand.
#[function_component(Reports)]
fn reports() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let list = use_state(|| None::<Vec<shared::wire::MonthlyReportInfo>>);
    {
        let (ctx, list) = (ctx.clone(), list.clone());
        use_effect_with((), move |_| {
            let b = ctx.backend.clone();
            run(&ctx, async move { b.reports().await }, move |l| {
                list.set(Some(l))
            });
        });
    }
    let today = crate::i18n::local_date(crate::i18n::now(), ctx.offset());
    crate::components::use_initial_values(
        (),
        vec![("report-month".into(), today[..7].to_string())],
    );
    let on_demand = |format: &'static str, text: &'static str| {
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_| fetch_report(&ctx, field("report-month"), format));
        html! { <button type="button" id={format!("report-{format}")} {onclick}>{ text }</button> }
    };
    let offset = ctx.offset();
    html! {
        <>
            <h1>{ ctx.t("reports.title") }</h1>
            <p class="muted">{ ctx.t("reports.intro") }</p>
            <div class="card">
                { match &*list {
                    None => html! { <p class="muted">{ ctx.t("loading") }</p> },
                    Some(l) if l.is_empty() => html! { <p class="muted" id="no-reports">{ ctx.t("reports.none") }</p> },
                    Some(l) => html! {
                        <table id="report-list">
                            <thead><tr>
                                <th>{ ctx.t("reports.period") }</th>
                                <th>{ ctx.t("reports.made") }</th>
                                <th>{ ctx.t("ledger.head") }</th>
                                <th>{ ctx.t("reports.files") }</th>
                            </tr></thead>
                            <tbody>
                            { for l.iter().map(|r| {
                                let button = |format: &'static str, text: &'static str| {
                                    let (ctx, period) = (ctx.clone(), r.period.clone());
                                    let onclick = Callback::from(move |_| fetch_report(&ctx, period.clone(), format));
                                    html! { <button type="button" id={format!("report-{}-{format}", r.period)} {onclick}>{ text }</button> }
                                };
                                html! {
                                    <tr id={format!("report-{}", r.period)}>
                                        <td>{ &r.period }</td>
                                        <td>{ crate::i18n::short_time(r.generated_at, offset) }</td>
                                        <td class="mono" title={r.ledger_head.clone().unwrap_or_default()}>
                                            { match (&r.ledger_entry, &r.ledger_head) {
                                                (Some(n), Some(h)) => format!("#{n} {}…", &h[..h.len().min(12)]),
                                                _ => "—".into(),
                                            } }
                                        </td>
                                        <td class="row">{ button("pdf", "PDF") }{ button("xlsx", "Excel") }</td>
                                    </tr>
                                }
                            }) }
                            </tbody>
                        </table>
                    },
                } }
                <div class="row">
                    <label>{ ctx.t("reports.month") }<input type="month" id="report-month" /></label>
                    { on_demand("pdf", "PDF") }
                    { on_demand("xlsx", "Excel") }
                </div>
            </div>
        </>
    }
}
