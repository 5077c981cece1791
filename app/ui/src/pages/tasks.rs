//! The inspector's day: every route with its progress.

use crate::i18n::short_time;
use crate::{Ctx, Page, run};
use shared::app::RouteTask;
use yew::prelude::*;

#[function_component(Tasks)]
pub fn tasks() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let tasks = use_state(|| None::<Vec<RouteTask>>);
    {
        let (ctx, tasks) = (ctx.clone(), tasks.clone());
        use_effect_with(ctx.status.clone(), move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.tasks().await }
                },
                move |t| tasks.set(Some(t)),
            );
        });
    }
    let Some(list) = (*tasks).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let any_open = list.iter().any(|t| t.open);
    let offset = ctx.offset();
    html! {
        <section>
            <h1>{ ctx.t("tasks.title") }</h1>
            <ul class="cards">
                { for list.iter().map(|t| {
                    let route = t.code.clone();
                    let (go, open, c) = (ctx.go.clone(), t.open, ctx.clone());
                    let onclick = Callback::from(move |_| {
                        let (go, route) = (go.clone(), route.clone());
                        if open {
                            go.emit(Page::Walk { route });
                        } else {
                            let refresh = c.refresh.clone();
                            run(&c, { let b = c.backend.clone(); let r = route.clone(); async move { b.patrol_start(&r).await } },
                                move |_| {
                                    refresh.emit(false);
                                    go.emit(Page::Walk { route })
                                });
                        }
                    });
                    html! {
                        <li class="card" id={format!("route-{}", t.code)}>
                            <div class="row">
                                <strong>{ &t.name }</strong>
                                <span class="muted">{ &t.code }</span>
                                <span class="grow"></span>
                                <span class="progress-text">{ format!("{}/{}", t.checked(), t.steps.len()) }</span>
                            </div>
                            <progress max={t.steps.len().to_string()} value={t.checked().to_string()}></progress>
                            if t.spot_check {
                                <p class="badge spot">{ ctx.t("tasks.spot_check") }</p>
                            }
                            if t.adhoc {
                                <p class="badge spot adhoc">{ ctx.t("tasks.adhoc") }</p>
                            }
                            { for t.windows.iter().map(|w| {
                                let now = crate::i18n::now();
                                let (class, key) = if w.is_open(now) {
                                    ("open", "tasks.window_open")
                                } else if w.is_overdue(now) {
                                    ("overdue", "tasks.window_overdue")
                                } else if now < w.from {
                                    ("later", "tasks.window_later")
                                } else {
                                    ("done", "tasks.window_done")
                                };
                                html! {
                                    <div class={classes!("row", "window", class)} id={format!("window-{}", w.key)}>
                                        <span>{ &w.title }</span>
                                        <span class="muted">{ format!("{} → {}", short_time(w.from, offset), short_time(w.until, offset)) }</span>
                                        <span class="grow"></span>
                                        <span>{ format!("{}/{}", w.done, w.total) }</span>
                                        <span class={classes!("state", class)}>{ ctx.t(key) }</span>
                                    </div>
                                }
                            }) }
                            <div class="row">
                                <span class="muted">{ format!("{} {}", ctx.t("tasks.done_today"), t.done_today) }</span>
                                <span class="grow"></span>
                                if t.open || !any_open {
                                    <button class="primary" id={format!("start-{}", t.code)} {onclick}>
                                        { if t.open { ctx.t("tasks.continue") } else { ctx.t("tasks.start") } }
                                    </button>
                                }
                            </div>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
