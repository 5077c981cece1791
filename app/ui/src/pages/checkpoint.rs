//! One checkpoint: confirm presence by its point code, answer every checklist
//! item with big pass / fail / N/A buttons or a reading within shown limits,
//! save; failed items go straight on to recording issues.

use crate::{Ctx, Page, run};
use shared::app::CheckInput;
use shared::patrol::Answer;
use shared::plan::{ChecklistItem, ItemKind};
use std::collections::BTreeMap;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CheckpointProps {
    pub route: String,
    pub code: String,
}

fn limits(min: Option<f64>, max: Option<f64>, unit: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} – {b} {unit}"),
        (Some(a), None) => format!("≥ {a} {unit}"),
        (None, Some(b)) => format!("≤ {b} {unit}"),
        (None, None) => unit.to_string(),
    }
}

#[function_component(Checkpoint)]
pub fn checkpoint(p: &CheckpointProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    // The entered code and the checklist the device gave for it on arrival.
    let present = use_state(|| None::<(String, Vec<ChecklistItem>)>);
    let code_error = use_state(|| false);
    let answers = use_state(BTreeMap::<String, Answer>::new);
    let readings = use_state(BTreeMap::<String, String>::new);
    let Some(plan) = ctx.plan.clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let Some(cp) = plan.checkpoint_by_code(&p.code).cloned() else {
        return html! { <p class="error">{ &p.code }</p> };
    };

    let confirm = {
        let (ctx, present, code_error, expected) = (
            ctx.clone(),
            present.clone(),
            code_error.clone(),
            cp.code.to_string(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let entered = crate::components::field("point-code").trim().to_string();
            let (b, notify, lang) = (ctx.backend.clone(), ctx.notify.clone(), ctx.lang);
            let (present, code_error, expected) =
                (present.clone(), code_error.clone(), expected.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match b.arrive(&expected, &entered).await {
                    Ok(t) => {
                        code_error.set(false);
                        present.set(Some((entered, t.items)));
                    }
                    Err(e) if e.code == "wrong_point_code" => code_error.set(true),
                    Err(e) => notify.emit((true, e.text(lang))),
                }
            });
        })
    };

    let Some((entered, items)) = (*present).clone() else {
        return html! {
            <section>
                <h1>{ &cp.name }</h1>
                <p class="muted">{ format!("{} · {}", cp.code, p.route) }</p>
                <form onsubmit={confirm} id="presence">
                    <label>{ ctx.t("cp.presence") }
                        <input id="point-code" autocomplete="off" autocapitalize="characters"
                            placeholder={ctx.t("cp.presence_hint")} required=true />
                    </label>
                    if *code_error { <p class="error" id="code-error">{ ctx.t("cp.wrong_code") }</p> }
                    <button type="submit" class="primary" id="confirm-code">{ ctx.t("cp.confirm") }</button>
                </form>
            </section>
        };
    };

    let set = |item: String, a: Answer| {
        let answers = answers.clone();
        Callback::from(move |_| {
            let mut next = (*answers).clone();
            next.insert(item.clone(), a);
            answers.set(next);
        })
    };
    let save = {
        let (ctx, answers, readings, items) = (
            ctx.clone(),
            answers.clone(),
            readings.clone(),
            items.clone(),
        );
        let (route, code) = (p.route.clone(), cp.code.to_string());
        Callback::from(move |_| {
            let mut all = Vec::new();
            for item in &items {
                let a = match &item.kind {
                    ItemKind::PassFail => answers.get(item.code.as_str()).copied(),
                    ItemKind::Reading { .. } => {
                        answers.get(item.code.as_str()).copied().or_else(|| {
                            readings
                                .get(item.code.as_str())
                                .and_then(|v| v.trim().parse::<f64>().ok())
                                .map(Answer::Reading)
                        })
                    }
                };
                match a {
                    Some(a) => all.push((item.code.to_string(), a)),
                    None => {
                        ctx.notify.emit((true, ctx.t("cp.unanswered").to_string()));
                        return;
                    }
                }
            }
            let input = CheckInput {
                point_code: entered.clone(),
                checkpoint: code.clone(),
                answers: all,
            };
            let (go, refresh, route, code) = (
                ctx.go.clone(),
                ctx.refresh.clone(),
                route.clone(),
                code.clone(),
            );
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.check(&input).await }
                },
                move |r| {
                    refresh.emit(false);
                    if r.failed.is_empty() {
                        go.emit(Page::Walk { route });
                    } else {
                        go.emit(Page::Raise {
                            route: Some(route),
                            checkpoint: code,
                            items: r.failed,
                        });
                    }
                },
            );
        })
    };

    html! {
        <section>
            <h1>{ &cp.name }</h1>
            <p class="ok" id="present">{ format!("✓ {} · {}", ctx.t("cp.present"), cp.code) }</p>
            <ul class="items">
                { for items.iter().map(|item| {
                    let code = item.code.to_string();
                    let chosen = answers.get(&code).copied();
                    let body = match &item.kind {
                        ItemKind::PassFail => html! {
                            <div class="choices">
                                <button id={format!("pass-{code}")} class={classes!("choice", "pass", (chosen == Some(Answer::Pass)).then_some("on"))}
                                    onclick={set(code.clone(), Answer::Pass)}>{ ctx.t("cp.pass") }</button>
                                <button id={format!("fail-{code}")} class={classes!("choice", "fail", (chosen == Some(Answer::Fail)).then_some("on"))}
                                    onclick={set(code.clone(), Answer::Fail)}>{ ctx.t("cp.fail") }</button>
                                <button id={format!("na-{code}")} class={classes!("choice", "na", (chosen == Some(Answer::Na)).then_some("on"))}
                                    onclick={set(code.clone(), Answer::Na)}>{ ctx.t("cp.na") }</button>
                            </div>
                        },
                        ItemKind::Reading { min, max, unit } => {
                            let oninput = {
                                let (readings, answers, code) = (readings.clone(), answers.clone(), code.clone());
                                Callback::from(move |e: InputEvent| {
                                    let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                                    let mut next = (*readings).clone();
                                    next.insert(code.clone(), input.value());
                                    readings.set(next);
                                    let mut a = (*answers).clone();
                                    a.remove(&code);
                                    answers.set(a);
                                })
                            };
                            html! {
                                <div class="choices">
                                    <input id={format!("reading-{code}")} type="number" step="any" inputmode="decimal" {oninput}
                                        value={readings.get(&code).cloned().unwrap_or_default()} />
                                    <span class="muted">{ format!("{} {}", ctx.t("cp.limits"), limits(*min, *max, unit)) }</span>
                                    <button id={format!("na-{code}")} class={classes!("choice", "na", (chosen == Some(Answer::Na)).then_some("on"))}
                                        onclick={set(code.clone(), Answer::Na)}>{ ctx.t("cp.na") }</button>
                                </div>
                            }
                        }
                    };
                    html! { <li class="item"><div>{ &item.label }</div>{ body }</li> }
                }) }
            </ul>
            <button class="primary wide" id="save-check" onclick={save}>{ ctx.t("cp.save") }</button>
        </section>
    }
}
