//! 满意度调查: customer service records a resident's answer — from a
//! call-back or a periodic survey — as NPS (0–10) and service scores (1–5 per
//! dimension). On the dashboard it is stored at once and a low score opens a
//! follow-up case (二次处理); in the app it is kept on the device and sent at
//! the next sync. Below, the month's answers.

use crate::components::field;
use crate::{Ctx, Page, label, run};
use shared::codes::Dimension;
use shared::survey::{DimensionScore, SurveyEntry, SurveyInput, SurveySource};
use yew::prelude::*;

/// A new random id for an answer (the browser's generator).
fn new_id() -> uuid::Uuid {
    let made = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .and_then(|c| {
            let f = js_sys::Reflect::get(&c, &"randomUUID".into()).ok()?;
            let f: &js_sys::Function = wasm_bindgen::JsCast::dyn_ref(&f)?;
            f.call0(&c).ok()?.as_string()
        });
    made.and_then(|s| s.parse().ok())
        .unwrap_or_else(|| uuid::Uuid::from_u128(js_sys::Date::now() as u128))
}

#[function_component(Surveys)]
pub fn surveys() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let month = crate::i18n::local_date(crate::i18n::now(), ctx.offset())[..7].to_string();
    let list = use_state(|| None::<Vec<SurveyEntry>>);
    let version = use_state(|| 0u32);
    {
        let (ctx, list, month) = (ctx.clone(), list.clone(), month.clone());
        use_effect_with(*version, move |_| {
            let b = ctx.backend.clone();
            run(&ctx, async move { b.surveys(&month).await }, move |l| {
                list.set(Some(l))
            });
        });
    }
    let error = use_state(|| None::<String>);
    let submit = {
        let (ctx, error, version) = (ctx.clone(), error.clone(), version.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let scores = Dimension::ALL
                .iter()
                .filter_map(|d| {
                    let score = field(&format!("s-dim-{}", d.code())).parse().ok()?;
                    Some(DimensionScore {
                        dimension: *d,
                        score,
                    })
                })
                .collect();
            let input = SurveyInput {
                id: new_id(),
                source: if field("s-source") == "periodic" {
                    SurveySource::Periodic
                } else {
                    SurveySource::Callback
                },
                respondent: field("s-respondent"),
                contact: field("s-contact"),
                nps: field("s-nps").parse().ok(),
                scores,
                comment: field("s-comment"),
                complaint: None,
                taken_at: crate::i18n::now(),
            };
            let b = ctx.backend.clone();
            let app = ctx.backend.is_app();
            let (notify, version) = (ctx.notify.clone(), version.clone());
            let said = (
                ctx.t("survey.saved"),
                ctx.t("survey.saved_offline"),
                ctx.t("survey.followed_up"),
            );
            crate::run_form(
                &ctx,
                error.clone(),
                async move { b.record_survey(&input).await },
                move |follow_up| {
                    let text = match (app, follow_up) {
                        (true, _) => said.1,
                        (false, Some(_)) => said.2,
                        (false, None) => said.0,
                    };
                    notify.emit((false, text.to_string()));
                    if let Some(form) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.get_element_by_id("survey-form"))
                        .and_then(|f| {
                            wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlFormElement>(f).ok()
                        })
                    {
                        form.reset();
                    }
                    version.set(*version + 1);
                },
            );
        })
    };
    let offset = ctx.offset();
    html! {
        <section id="surveys">
            <h1>{ ctx.t("survey.title") }</h1>
            <form id="survey-form" onsubmit={submit}>
                <label>{ ctx.t("survey.source") }
                    <select id="s-source">
                        <option value="callback" selected=true>{ ctx.t("survey.callback") }</option>
                        <option value="periodic">{ ctx.t("survey.periodic") }</option>
                    </select>
                </label>
                <label>{ ctx.t("survey.respondent") }<input id="s-respondent" required=true /></label>
                <label>{ ctx.t("survey.contact") }<input id="s-contact" type="tel" /></label>
                <label>{ ctx.t("survey.nps") }
                    <select id="s-nps">
                        <option value="" selected=true>{ ctx.t("survey.not_asked") }</option>
                        { for (0..=10u8).rev().map(|n| html! { <option value={n.to_string()}>{ n }</option> }) }
                    </select>
                </label>
                <fieldset>
                    <legend>{ ctx.t("survey.scores") }</legend>
                    { for Dimension::ALL.iter().map(|d| html! {
                        <label>{ label!(ctx.lang, *d) }
                            <select id={format!("s-dim-{}", d.code())}>
                                <option value="" selected=true>{ "—" }</option>
                                { for (1..=5u8).rev().map(|n| html! { <option value={n.to_string()}>{ n }</option> }) }
                            </select>
                        </label>
                    }) }
                </fieldset>
                <label>{ ctx.t("survey.comment") }<textarea id="s-comment" /></label>
                { crate::form_error(&error, "s-error") }
                <button type="submit" class="primary wide" id="s-submit">{ ctx.t("survey.submit") }</button>
            </form>
            <h2>{ ctx.t("survey.list") }</h2>
            { match &*list {
                None => html! { <p class="muted">{ ctx.t("loading") }</p> },
                Some(l) if l.is_empty() => html! { <p class="muted" id="no-surveys">{ ctx.t("survey.none") }</p> },
                Some(l) => html! {
                    <table id="survey-list">
                        <thead><tr>
                            <th>{ ctx.t("survey.when") }</th>
                            <th>{ ctx.t("survey.respondent") }</th>
                            <th>{ "NPS" }</th>
                            <th>{ ctx.t("survey.scores") }</th>
                            <th>{ ctx.t("survey.follow_up") }</th>
                        </tr></thead>
                        <tbody>
                        { for l.iter().map(|s| {
                            let scores: Vec<String> = s.input.scores.iter()
                                .map(|d| format!("{} {}", label!(ctx.lang, d.dimension), d.score))
                                .collect();
                            let follow = match (s.follow_up, s.pending, &s.refusal) {
                                (Some(id), _, _) => {
                                    let go = ctx.go.clone();
                                    html! { <button type="button" class="link" onclick={Callback::from(move |_| go.emit(Page::Issue { id }))}>{ ctx.t("survey.follow_up") }</button> }
                                }
                                (None, true, _) => html! { <span class="muted">{ ctx.t("survey.pending") }</span> },
                                (None, false, Some(r)) => html! { <span class="bad">{ r.clone() }</span> },
                                _ => html! { "—" },
                            };
                            html! {
                                <tr id={format!("survey-{}", s.input.id)}>
                                    <td>{ crate::i18n::short_time(s.input.taken_at, offset) }</td>
                                    <td>{ &s.input.respondent }</td>
                                    <td>{ s.input.nps.map(|n| n.to_string()).unwrap_or_else(|| "—".into()) }</td>
                                    <td>{ scores.join("，") }</td>
                                    <td>{ follow }</td>
                                </tr>
                            }
                        }) }
                        </tbody>
                    </table>
                },
            } }
        </section>
    }
}
