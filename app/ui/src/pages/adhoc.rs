//! Launching a one-off patrol (应急巡查) on the dashboard: a typhoon or flood
//! check, a pre-holiday safety sweep — a zone or chosen checkpoints, chosen
//! inspectors, a window. Devices get it at their next sync; coverage counts it.

use crate::Ctx;
use crate::components::{field, ticked};
use crate::i18n::short_time;
use shared::schedule::AdHocPatrol;
use shared::wire::AdHocRequest;
use yew::prelude::*;

#[function_component(LaunchPatrol)]
pub fn launch_patrol() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let launched = use_state(|| None::<AdHocPatrol>);
    let error = use_state(|| None::<String>);
    let off = ctx.offset();
    let local = |t: chrono::DateTime<chrono::Utc>| crate::i18n::to_local_input(t, off);
    let now = crate::i18n::now();
    // From now for six hours, filled in when the form appears (after the plan).
    crate::components::use_initial_values(
        ctx.plan.is_some(),
        vec![
            ("adhoc-from".into(), local(now)),
            (
                "adhoc-until".into(),
                local(now + chrono::Duration::hours(6)),
            ),
        ],
    );
    let Some(plan) = ctx.plan.clone() else {
        return html! {};
    };
    let inspectors: Vec<_> = plan
        .users
        .iter()
        .filter(|u| u.active && u.role == shared::Role::Inspector)
        .cloned()
        .collect();
    let submit = {
        let (ctx, launched, plan, inspectors, error) = (
            ctx.clone(),
            launched.clone(),
            plan.clone(),
            inspectors.clone(),
            error.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let at = |id: &str| crate::i18n::from_local_input(&field(id), off);
            let (Some(from), Some(until)) = (at("adhoc-from"), at("adhoc-until")) else {
                error.set(Some(ctx.t("adhoc.bad_window").to_string()));
                return;
            };
            let req = AdHocRequest {
                name: field("adhoc-name"),
                zone: Some(field("adhoc-zone")).filter(|z| !z.is_empty()),
                checkpoints: plan
                    .checkpoints
                    .iter()
                    .filter(|c| ticked(&format!("adhoc-cp-{}", c.code)))
                    .map(|c| c.code.to_string())
                    .collect(),
                inspectors: inspectors
                    .iter()
                    .filter(|u| ticked(&format!("adhoc-who-{}", u.name)))
                    .map(|u| u.name.to_string())
                    .collect(),
                from,
                until,
            };
            let (b, launched, refresh) =
                (ctx.backend.clone(), launched.clone(), ctx.refresh.clone());
            crate::run_form(
                &ctx,
                error.clone(),
                async move { b.launch_patrol(&req).await },
                move |a| {
                    launched.set(Some(a));
                    refresh.emit(false);
                },
            );
        })
    };
    let offset = ctx.offset();
    html! {
        <>
            <h2>{ ctx.t("adhoc.title") }</h2>
            <form class="card" id="adhoc" onsubmit={submit}>
                <label>{ ctx.t("adhoc.name") }<input id="adhoc-name" required=true placeholder={ctx.t("adhoc.name_hint")} /></label>
                <label>{ ctx.t("adhoc.zone") }
                    <select id="adhoc-zone">
                        <option value="" selected=true>{ ctx.t("adhoc.chosen_points") }</option>
                        { for plan.zones.iter().map(|z| html! { <option value={z.code.to_string()}>{ &z.name }</option> }) }
                    </select>
                </label>
                <details id="adhoc-points">
                    <summary>{ ctx.t("adhoc.points") }</summary>
                    <div class="checks">
                        { for plan.checkpoints.iter().map(|c| html! {
                            <label class="check">
                                <input type="checkbox" id={format!("adhoc-cp-{}", c.code)} />
                                { format!("{} {}", c.code, c.name) }
                            </label>
                        }) }
                    </div>
                </details>
                <fieldset>
                    <legend>{ ctx.t("adhoc.inspectors") }</legend>
                    { for inspectors.iter().map(|u| html! {
                        <label class="check">
                            <input type="checkbox" id={format!("adhoc-who-{}", u.name)} />
                            { &u.display_name }
                        </label>
                    }) }
                </fieldset>
                <div class="filters">
                    <label>{ ctx.t("adhoc.from") }<input type="datetime-local" id="adhoc-from" /></label>
                    <label>{ ctx.t("adhoc.until") }<input type="datetime-local" id="adhoc-until" /></label>
                </div>
                { crate::form_error(&error, "adhoc-error") }
                <button type="submit" class="primary" id="adhoc-submit">{ ctx.t("adhoc.submit") }</button>
            </form>
            if let Some(a) = &*launched {
                <div class="card ok" id="adhoc-launched" role="status">
                    <p><strong>{ format!("{} {}", a.code, a.name) }</strong></p>
                    <p>{ format!("{} · {} {} · {} → {}", ctx.t("adhoc.launched"),
                        a.checkpoints.len(), ctx.t("adhoc.points_count"),
                        short_time(a.from, offset), short_time(a.until, offset)) }</p>
                </div>
            }
        </>
    }
}
