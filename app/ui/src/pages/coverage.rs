//! Coverage for managers (checkpoints checked inside their task windows / due,
//! by route, zone and inspector, with what was missed), and double-random spot
//! checks: draw one, list the recorded draws, replay any of them.

use crate::components::field;
use crate::i18n::short_time;
use crate::{Ctx, run};
use shared::schedule::{Coverage, CoverageRow};
use shared::wire::{DrawRequest, Replay};
use yew::prelude::*;

fn today(ctx: &Ctx) -> String {
    crate::i18n::local_date(crate::i18n::now(), ctx.offset())
}

fn rows(ctx: &Ctx, id: &'static str, title: &'static str, rows: &[CoverageRow]) -> Html {
    html! {
        <>
            <h2>{ ctx.t(title) }</h2>
            <table class="list" id={id}>
                <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("coverage.done_due") }</th><th>{ "%" }</th></tr>
                { for rows.iter().map(|r| html! {
                    <tr id={format!("{id}-{}", r.key)} class={classes!((r.done < r.due).then_some("warn"))}>
                        <td>{ if r.key == "-" { ctx.t("coverage.nobody").to_string() } else { r.key.clone() } }</td>
                        <td>{ &r.name }</td>
                        <td class="ratio">{ format!("{}/{}", r.done, r.due) }</td>
                        <td>{ format!("{:.0}%", r.ratio() * 100.0) }</td>
                    </tr>
                }) }
            </table>
        </>
    }
}

#[function_component(CoveragePage)]
pub fn coverage_page() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let range = use_state(|| (today(&ctx), today(&ctx)));
    let report = use_state(|| None::<Coverage>);
    let drawn = use_state(|| None::<Replay>);
    let replayed = use_state(|| None::<Replay>);
    let draw_error = use_state(|| None::<String>);
    crate::components::use_initial_values(
        (*range).clone(),
        vec![
            ("cov-from".into(), range.0.clone()),
            ("cov-to".into(), range.1.clone()),
        ],
    );
    crate::components::use_initial_values(
        (),
        vec![
            ("draw-n".into(), "5".into()),
            ("draw-hours".into(), "24".into()),
            (
                "draw-from".into(),
                crate::i18n::to_local_input(crate::i18n::now(), ctx.offset()),
            ),
        ],
    );
    {
        let (ctx, report) = (ctx.clone(), report.clone());
        use_effect_with((*range).clone(), move |(from, to)| {
            let (from, to) = (from.clone(), to.clone());
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.coverage(&from, &to).await }
                },
                move |c| report.set(Some(c)),
            );
        });
    }
    let apply = {
        let range = range.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            range.set((field("cov-from"), field("cov-to")));
        })
    };
    let manager = ctx.session.user.role == shared::Role::Manager;
    let offset = ctx.offset();
    let draw = {
        let (ctx, drawn, err) = (ctx.clone(), drawn.clone(), draw_error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let from = crate::i18n::from_local_input(&field("draw-from"), ctx.offset())
                .unwrap_or_else(crate::i18n::now);
            let hours: i64 = field("draw-hours").parse().unwrap_or(24);
            let zone = Some(field("draw-zone")).filter(|z| !z.is_empty());
            // How many checkpoints there are to draw from, said before the server is asked.
            let candidates = ctx.plan.as_ref().map_or(0, |p| {
                let zone_id = zone
                    .as_deref()
                    .and_then(|z| p.zones.iter().find(|x| x.code.as_str() == z))
                    .map(|z| z.id);
                p.checkpoints
                    .iter()
                    .filter(|c| zone_id.is_none_or(|z| c.zone == z))
                    .count()
            });
            let n: usize = field("draw-n").trim().parse().unwrap_or(0);
            if let Err(e) = shared::schedule::draw_count(n, candidates) {
                use shared::text::Bilingual;
                err.set(Some(match ctx.lang {
                    crate::i18n::Lang::Zh => e.zh(),
                    crate::i18n::Lang::En => e.to_string(),
                }));
                return;
            }
            let req = DrawRequest {
                n,
                zone,
                from,
                until: from + chrono::Duration::hours(hours.max(1)),
            };
            let (b, drawn) = (ctx.backend.clone(), drawn.clone());
            let refresh = ctx.refresh.clone();
            crate::run_form(
                &ctx,
                err.clone(),
                async move { b.draw(&req).await },
                move |r| {
                    drawn.set(Some(r));
                    refresh.emit(false);
                },
            );
        })
    };
    let replay = |code: String| {
        let (ctx, replayed) = (ctx.clone(), replayed.clone());
        Callback::from(move |_| {
            let (b, replayed, code) = (ctx.backend.clone(), replayed.clone(), code.clone());
            run(&ctx, async move { b.replay(&code).await }, move |r| {
                replayed.set(Some(r))
            });
        })
    };
    let show_draw = |r: &Replay, id: &'static str| {
        html! {
            <div class={classes!("card", if r.replays { "ok" } else { "error" })} id={id}>
                <p><strong>{ r.spot_check.code.as_str() }</strong>
                    { format!(" · {} {} · {} {}", ctx.t("draw.seed"), r.spot_check.seed, ctx.t("draw.inspector"), ctx.person(&r.inspector_name)) }</p>
                <p class="codes">{ r.checkpoint_codes.iter().map(|c| ctx.point(c)).collect::<Vec<_>>().join("、") }</p>
                <p>{ format!("{} → {}", short_time(r.spot_check.from, offset), short_time(r.spot_check.until, offset)) }</p>
                <p class="replays">{ if r.replays { ctx.t("draw.replays") } else { ctx.t("draw.differs") } }</p>
            </div>
        }
    };
    let mut recorded: Vec<shared::schedule::SpotCheck> = ctx
        .plan
        .as_ref()
        .map(|p| p.spot_checks.clone())
        .unwrap_or_default();
    // A draw made on this page is in the plan from the next load on.
    if let Some(r) = &*drawn
        && !recorded.iter().any(|s| s.code == r.spot_check.code)
    {
        recorded.push(r.spot_check.clone());
    }
    html! {
        <section id="coverage">
            <h1>{ ctx.t("coverage.title") }</h1>
            <form class="row" onsubmit={apply}>
                <label>{ ctx.t("coverage.from") }<input type="date" id="cov-from" /></label>
                <label>{ ctx.t("coverage.to") }<input type="date" id="cov-to" /></label>
                <button type="submit" id="cov-apply">{ ctx.t("coverage.show") }</button>
            </form>
            if let Some(c) = &*report {
                <div class="card" id="cov-total">
                    <strong>{ format!("{} {}/{} ({:.0}%)", ctx.t("coverage.total"), c.total.done, c.total.due, c.total.ratio() * 100.0) }</strong>
                </div>
                { rows(&ctx, "cov-route", "coverage.by_route", &c.by_route) }
                { rows(&ctx, "cov-zone", "coverage.by_zone", &c.by_zone) }
                { rows(&ctx, "cov-inspector", "coverage.by_inspector", &c.by_inspector) }
                if !c.unscheduled.is_empty() {
                    <p class="error" id="cov-unscheduled">
                        { format!("{} ({}): {}", ctx.t("plan.unscheduled"), c.unscheduled.len(), c.unscheduled.join(", ")) }
                    </p>
                }
                <h2>{ ctx.t("coverage.tasks") }</h2>
                <ul class="cards" id="cov-tasks">
                    { for c.tasks.iter().map(|t| {
                        use shared::schedule::WindowState;
                        let total = t.task.checkpoints.len();
                        let (state, class) = match t.state {
                            WindowState::NotYetOpen => (ctx.t("coverage.not_yet_open"), "muted"),
                            WindowState::Open => (ctx.t("coverage.in_progress"), ""),
                            WindowState::Closed if t.done < total => (ctx.t("coverage.missed"), "warn"),
                            WindowState::Closed => (ctx.t("coverage.complete"), "ok"),
                        };
                        html! {
                        <li class={classes!("card", class)} id={format!("cov-task-{}", t.task.key)} data-state={format!("{:?}", t.state)}>
                            <div class="row">
                                <strong>{ &t.task.title }</strong>
                                <span class="muted">{ format!("{} → {}", short_time(t.task.from, offset), short_time(t.task.until, offset)) }</span>
                                <span class="grow"></span>
                                <span class="task-state">{ state }</span>
                                <span>{ format!("{}/{}", t.done, total) }</span>
                            </div>
                            if !t.missing.is_empty() {
                                <p class="muted">{ format!("{}: {}", ctx.t("coverage.missing"), t.missing.iter().map(|c| ctx.point(c)).collect::<Vec<_>>().join("、")) }</p>
                            }
                        </li>
                    } }) }
                </ul>
            }
            if manager {
                <crate::pages::adhoc::LaunchPatrol />
            }
            <h2>{ ctx.t("draw.title") }</h2>
            if manager {
                <form class="card" id="draw" onsubmit={draw} novalidate=true>
                    <div class="filters">
                        <label>{ ctx.t("draw.n") }<input type="number" id="draw-n" min="1" /></label>
                        <label>{ ctx.t("plan.zone") }
                            <select id="draw-zone">
                                <option value="" selected=true>{ ctx.t("draw.all_zones") }</option>
                                { for ctx.plan.iter().flat_map(|p| p.zones.iter()).map(|z| html! {
                                    <option value={z.code.to_string()}>{ &z.name }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ ctx.t("draw.from") }<input type="datetime-local" id="draw-from" /></label>
                        <label>{ ctx.t("draw.hours") }<input type="number" id="draw-hours" min="1" /></label>
                    </div>
                    { crate::form_error(&draw_error, "draw-error") }
                    <button type="submit" class="primary" id="draw-submit">{ ctx.t("draw.submit") }</button>
                </form>
            }
            if let Some(r) = &*drawn { { show_draw(r, "drawn") } }
            <ul class="cards" id="spot-checks">
                { for recorded.iter().map(|sc| html! {
                    <li class="card row" id={format!("sc-{}", sc.code)}>
                        <strong>{ sc.code.as_str() }</strong>
                        <span class="muted">{ format!("{} · {}", sc.drawn_by, short_time(sc.drawn_at, offset)) }</span>
                        <span class="grow"></span>
                        <button id={format!("replay-{}", sc.code)} onclick={replay(sc.code.to_string())}>{ ctx.t("draw.replay") }</button>
                    </li>
                }) }
            </ul>
            if let Some(r) = &*replayed { { show_draw(r, "replayed") } }
        </section>
    }
}
