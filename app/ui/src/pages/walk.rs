//! A route walk: checkpoints in walking order with progress (8/40).

use crate::{Ctx, Page, run};
use shared::app::RouteTask;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct WalkProps {
    pub route: String,
}

#[function_component(Walk)]
pub fn walk(p: &WalkProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let task = use_state(|| None::<RouteTask>);
    {
        let (ctx, task, route) = (ctx.clone(), task.clone(), p.route.clone());
        use_effect_with(ctx.status.clone(), move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.tasks().await }
                },
                move |all| task.set(all.into_iter().find(|t| t.code == route)),
            );
        });
    }
    let Some(t) = (*task).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let finish = {
        let c = ctx.clone();
        Callback::from(move |_| {
            let (go, refresh) = (c.go.clone(), c.refresh.clone());
            run(
                &c,
                {
                    let b = c.backend.clone();
                    async move { b.patrol_finish().await }
                },
                move |_| {
                    refresh.emit(false);
                    go.emit(Page::Tasks)
                },
            );
        })
    };
    html! {
        <section>
            <h1>{ &t.name }</h1>
            <div class="row">
                <span>{ ctx.t("walk.progress") }</span>
                <progress max={t.steps.len().to_string()} value={t.checked().to_string()}></progress>
                <strong id="walk-progress">{ format!("{}/{}", t.checked(), t.steps.len()) }</strong>
            </div>
            <ol class="steps">
                { for t.steps.iter().map(|s| {
                    let (go, route, code) = (ctx.go.clone(), t.code.clone(), s.code.clone());
                    let onclick = Callback::from(move |_| go.emit(Page::Checkpoint { route: route.clone(), code: code.clone() }));
                    html! {
                        <li>
                            <button class={classes!("step", s.checked.then_some("done"), (!s.failed.is_empty()).then_some("failed"))}
                                id={format!("cp-{}", s.code)} {onclick}>
                                <span class="mark">{ if !s.failed.is_empty() { "✗" } else if s.checked { "✓" } else { "○" } }</span>
                                <span>{ &s.name }</span>
                                <span class="muted">{ format!("{} · {}", s.code, s.zone) }</span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
            if t.open {
                <button class="wide" id="finish" onclick={finish}>{ ctx.t("walk.finish") }</button>
            }
        </section>
    }
}
