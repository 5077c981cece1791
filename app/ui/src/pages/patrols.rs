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
            if list.is_empty() {
                <p class="muted" id="no-patrols">{ ctx.t("patrols.none") }</p>
            }
            <ul class="cards" id="patrol-list">
                { for list.iter().map(|s| {
                    let (go, id) = (ctx.go.clone(), s.id);
                    html! {
                        <li class={classes!("card", "tap", (s.without_presence > 0).then_some("warn"))}
                            id={format!("patrol-{}", s.id)}
                            onclick={Callback::from(move |_| go.emit(Page::Patrol { id }))}>
                            <div class="row">
                                <strong>{ &s.route_code }</strong>
                                <span>{ &s.inspector_name }</span>
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
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PatrolProps {
    pub id: PatrolRunId,
}

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
            let class = if dwell_seconds.is_some() {
                "ok"
            } else {
                "warn"
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
            <h1>{ format!("{} · {}", d.summary.route_code, d.summary.inspector_name) }</h1>
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
                    let fails = r.result.items.iter().filter(|i| i.outcome == Outcome::Fail).count();
                    html! {
                        <tr id={format!("result-{}", r.result.checkpoint_code)}
                            class={classes!((!matches!(r.evidence, PresenceEvidence::Code { .. })).then_some("warn"))}>
                            <td>{ format!("{} {}", r.result.checkpoint_code, r.checkpoint_name) }</td>
                            <td>{ long_time(r.result.checked_at, offset) }</td>
                            <td>{ r.received_at.map(|t| long_time(t, offset)).unwrap_or_else(|| "—".into()) }</td>
                            <td>{ evidence(&ctx, &r.evidence) }</td>
                            <td>{ if fails == 0 { ctx.t("patrols.all_pass").to_string() } else { format!("{} {}", fails, ctx.t("patrols.failed")) } }</td>
                        </tr>
                    }
                }) }
            </table>
        </section>
    }
}
