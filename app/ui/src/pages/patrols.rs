//! Patrol runs for reviewers: recent runs with progress and how many results
//! lack presence evidence; a run's results with the code entered, device time,
//! server receipt time and dwell time. Missing evidence is shown in red.

use crate::i18n::{long_time, short_time};
use crate::{Ctx, Page, run};
use shared::ids::PatrolRunId;
use shared::patrol::{EntryMethod, Outcome, PresenceEvidence};
use shared::wire::{PatrolDetail, PatrolSummary};
use yew::prelude::*;

#[function_component(Patrols)]
pub fn patrols() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let list = use_state(|| None::<Vec<PatrolSummary>>);
    {
        let (ctx, list) = (ctx.clone(), list.clone());
        use_effect_with((), move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.patrols(7).await }
                },
                move |l| list.set(Some(l)),
            );
        });
    }
    let Some(list) = (*list).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let offset = ctx.offset();
    html! {
        <section>
            <h1>{ ctx.t("patrols.title") }</h1>
            if !ctx.backend.is_app() {
                <SheetCard />
            }
            if list.is_empty() {
                <p class="muted" id="no-patrols">{ ctx.t("patrols.none") }</p>
            }
            <ul class="cards" id="patrol-list">
                { for list.iter().map(|s| {
                    let (go, id) = (ctx.go.clone(), s.id);
                    html! {
                        <li class={classes!("card", "tap", (s.without_presence > 0).then_some("warn"))}
                            id={format!("patrol-{}", s.id)}>
                            <div class="tap-area" role="button" tabindex="0"
                            onkeydown={crate::components::on_activate({ let go = go.clone(); Callback::from(move |_| go.emit(Page::Patrol { id })) })}
                            onclick={Callback::from(move |_| go.emit(Page::Patrol { id }))}>
                            <div class="row">
                                <strong>{ ctx.route(&s.route_code) }</strong>
                                <span>{ ctx.person(&s.inspector_name) }</span>
                                <span class="grow"></span>
                                <span class="progress-text">{ format!("{}/{}", s.checked, s.route_len) }</span>
                            </div>
                            <div class="row muted">
                                <span>{ short_time(s.started_at, offset) }</span>
                                <span>{ match s.finished_at { Some(t) => format!("→ {}", short_time(t, offset)), None => ctx.t("patrols.open").to_string() } }</span>
                                <span class="grow"></span>
                                if s.failed_items > 0 {
                                    <span class="bad">{ format!("{} {}", s.failed_items, ctx.t("patrols.failed")) }</span>
                                }
                                if s.without_presence > 0 {
                                    <span class="bad no-presence">{ format!("{} {}", s.without_presence, ctx.t("patrols.no_presence")) }</span>
                                }
                            </div>
                            </div>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

/// The patrol record sheet (巡查记录表) of a day, one route or one inspector,
/// downloaded as PDF or Excel.
#[function_component(SheetCard)]
fn sheet_card() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let today = crate::i18n::local_date(crate::i18n::now(), ctx.offset());
    crate::components::use_initial_values((), vec![("sheet-date".into(), today)]);
    let download = |format: &'static str, text: &'static str| {
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_| {
            use crate::components::field;
            let (date, route, inspector) = (
                field("sheet-date"),
                field("sheet-route"),
                field("sheet-inspector"),
            );
            let mut name = format!("{}-patrol-sheet-{date}", ctx.session.site.code);
            for part in [&route, &inspector] {
                if !part.is_empty() {
                    name += &format!("-{part}");
                }
            }
            name += &format!(".{format}");
            let b = ctx.backend.clone();
            let (notify, ready) = (ctx.notify.clone(), ctx.t("sheet.ready"));
            run(
                &ctx,
                async move { b.patrol_sheet(&date, &route, &inspector, format).await },
                move |buf| {
                    let mime = crate::components::table_mime(format);
                    let _ = crate::components::download(&name, &buf, mime);
                    notify.emit((false, ready.to_string()));
                },
            );
        });
        html! { <button type="button" id={format!("sheet-{format}")} {onclick}>{ text }</button> }
    };
    let routes: Vec<_> = ctx.plan.iter().flat_map(|p| &p.routes).collect();
    let inspectors: Vec<_> = ctx
        .plan
        .iter()
        .flat_map(|p| &p.users)
        .filter(|u| matches!(u.role, shared::Role::Inspector | shared::Role::Manager))
        .collect();
    html! {
        <div class="card" id="patrol-sheet">
            <strong>{ ctx.t("sheet.title") }</strong>
            <div class="row">
                <label>{ ctx.t("sheet.date") }<input type="date" id="sheet-date" /></label>
                <label>{ ctx.t("sheet.route") }
                    <select id="sheet-route">
                        <option value="">{ ctx.t("sheet.all") }</option>
                        { for routes.iter().map(|r| html! {
                            <option value={r.code.to_string()}>{ format!("{} {}", r.code, r.name) }</option>
                        }) }
                    </select>
                </label>
                <label>{ ctx.t("sheet.inspector") }
                    <select id="sheet-inspector">
                        <option value="">{ ctx.t("sheet.all") }</option>
                        { for inspectors.iter().map(|u| html! {
                            <option value={u.name.to_string()}>{ ctx.person(u.name.as_str()) }</option>
                        }) }
                    </select>
                </label>
                { download("pdf", "PDF") }
                { download("xlsx", "Excel") }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PatrolProps {
    pub id: PatrolRunId,
}

/// A stay shorter than this is shown as a warning.
const SHORT_STAY_SECONDS: i64 = 10;

fn evidence(ctx: &Ctx, e: &PresenceEvidence) -> Html {
    match e {
        PresenceEvidence::Code {
            code,
            method,
            dwell_seconds,
        } => {
            let how = match method {
                EntryMethod::Typed => ctx.t("presence.typed"),
                EntryMethod::Scanned => ctx.t("presence.scanned"),
            };
            let dwell = match dwell_seconds {
                Some(s) => format!(
                    "{} {} {}",
                    ctx.t("presence.dwell"),
                    s,
                    ctx.t("presence.seconds")
                ),
                None => ctx.t("presence.dwell_unknown").to_string(),
            };
            // A stay of a few seconds is not a check anyone believes.
            let class = match dwell_seconds {
                Some(s) if *s >= SHORT_STAY_SECONDS => "ok",
                _ => "warn",
            };
            html! { <span class={classes!(class, "evidence")}>{ format!("{how} {code} · {dwell}") }</span> }
        }
        PresenceEvidence::WrongCode { code } => html! {
            <span class="bad evidence">{ format!("{} ({code})", ctx.t("presence.wrong_code")) }</span>
        },
        PresenceEvidence::Missing => html! {
            <span class="bad evidence">{ ctx.t("presence.missing") }</span>
        },
    }
}

#[function_component(Patrol)]
pub fn patrol(p: &PatrolProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let detail = use_state(|| None::<PatrolDetail>);
    {
        let (ctx, detail, id) = (ctx.clone(), detail.clone(), p.id);
        use_effect_with(id, move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.patrol(id).await }
                },
                move |d| detail.set(Some(d)),
            );
        });
    }
    let Some(d) = (*detail).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let offset = ctx.offset();
    let back = {
        let go = ctx.go.clone();
        Callback::from(move |_| go.emit(Page::Patrols))
    };
    html! {
        <section id="patrol">
            <button class="link" onclick={back}>{ ctx.t("nav.back") }</button>
            <h1>{ format!("{} · {}", ctx.route(&d.summary.route_code), ctx.person(&d.summary.inspector_name)) }</h1>
            <p class="muted">{ format!("{} {}/{}", long_time(d.summary.started_at, offset), d.summary.checked, d.summary.route_len) }</p>
            <table class="list" id="results">
                <tr>
                    <th>{ ctx.t("plan.checkpoints") }</th>
                    <th>{ ctx.t("patrols.device_time") }</th>
                    <th>{ ctx.t("patrols.server_time") }</th>
                    <th>{ ctx.t("patrols.presence") }</th>
                    <th>{ ctx.t("patrols.result") }</th>
                </tr>
                { for d.results.iter().map(|r| {
                    let failed: Vec<&str> = r.result.items.iter().filter(|i| i.outcome == Outcome::Fail).map(|i| i.item.as_str()).collect();
                    let raised: Vec<_> = d.issues.iter().filter(|i| i.checkpoint.as_deref() == Some(r.result.checkpoint_code.as_str())).collect();
                    html! {
                        <tr id={format!("result-{}", r.result.checkpoint_code)}
                            class={classes!((!matches!(r.evidence, PresenceEvidence::Code { .. })).then_some("warn"))}>
                            <td>{ format!("{} {}", r.result.checkpoint_code, r.checkpoint_name) }</td>
                            <td>{ long_time(r.result.checked_at, offset) }</td>
                            <td>{ r.received_at.map(|t| long_time(t, offset)).unwrap_or_else(|| "—".into()) }</td>
                            <td>{ evidence(&ctx, &r.evidence) }</td>
                            <td>
                                if failed.is_empty() {
                                    { ctx.t("patrols.all_pass") }
                                } else {
                                    <span class="bad">{ format!("{}: {}", ctx.t("patrols.failed_items"), failed.iter().map(|c| item_label(&ctx, c)).collect::<Vec<_>>().join("、")) }</span>
                                }
                                { for raised.iter().map(|i| {
                                    let (go, id) = (ctx.go.clone(), i.issue);
                                    html! {
                                        <button class="link issue-link" id={format!("raised-{}", i.issue)}
                                            onclick={Callback::from(move |_| go.emit(Page::Issue { id }))}>{ format!("→ {}", i.title) }</button>
                                    }
                                }) }
                            </td>
                        </tr>
                    }
                }) }
            </table>
            if !d.skipped.is_empty() {
                <div class="card warn" id="skipped" role="note">
                    <strong>{ format!("{} ({})", ctx.t("patrols.skipped"), d.skipped.len()) }</strong>
                    <ul>{ for d.skipped.iter().map(|(code, name)| html! { <li>{ format!("{code} {name}") }</li> }) }</ul>
                </div>
            }
        </section>
    }
}

/// A checklist item's label from the plan (its code when unknown).
fn item_label(ctx: &Ctx, code: &str) -> String {
    ctx.plan
        .as_ref()
        .and_then(|p| {
            p.templates
                .iter()
                .flat_map(|t| t.items.iter())
                .find(|i| i.code.as_str() == code)
                .map(|i| i.label.clone())
        })
        .unwrap_or_else(|| code.to_string())
}
