//! Entering a resident's complaint (customer service, 客服): where, who to
//! call back, what kind and how urgent (which set the service level, shown
//! as it will apply), what.

use crate::components::field;
use crate::{Ctx, Page, label};
use shared::app::ComplaintRequest;
use shared::codes::{Category, Urgency};
use yew::prelude::*;

#[function_component(NewComplaint)]
pub fn new_complaint() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    // The service level shown follows the kind and urgency picked.
    let kind = use_state(|| (Category::EquipmentFault, Urgency::Normal));
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |_: Event| {
            let c = field("c-category")
                .parse()
                .unwrap_or(Category::EquipmentFault);
            let u = field("c-urgency").parse().unwrap_or_default();
            kind.set((c, u));
        })
    };
    let rule = ctx.session.site.complaint_sla.rule(kind.0, kind.1);
    let sla_text = format!(
        "{}：{} {} · {} {}",
        ctx.t("complaint.sla"),
        ctx.t("sla.respond"),
        crate::i18n::span(i64::from(rule.respond_minutes) * 60, ctx.lang),
        ctx.t("sla.resolve"),
        crate::i18n::span(i64::from(rule.resolve_hours) * 3600, ctx.lang),
    );
    let error = use_state(|| None::<String>);
    let submit = {
        let (ctx, error) = (ctx.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(category) = field("c-category").parse::<Category>() else {
                return;
            };
            let urgency = field("c-urgency").parse().unwrap_or_default();
            let req = ComplaintRequest {
                zone: Some(field("c-zone")).filter(|z| !z.is_empty()),
                location: field("c-location"),
                contact: field("c-contact"),
                category,
                urgency,
                title: field("c-title"),
                description: field("c-description"),
                photos: Vec::new(),
            };
            let (b, go, refresh) = (ctx.backend.clone(), ctx.go.clone(), ctx.refresh.clone());
            crate::run_form(
                &ctx,
                error.clone(),
                async move { b.complaint(&req).await },
                move |id| {
                    refresh.emit(false);
                    go.emit(Page::Issue { id });
                },
            );
        })
    };
    let zones = ctx
        .plan
        .as_ref()
        .map(|p| p.zones.clone())
        .unwrap_or_default();
    html! {
        <section>
            <h1>{ ctx.t("complaint.new") }</h1>
            <p class="muted" id="c-sla">{ sla_text }</p>
            <form id="complaint-form" onsubmit={submit}>
                <label>{ ctx.t("complaint.category") }
                    <select id="c-category" onchange={on_kind.clone()}>
                        { for [Category::NeighbourDispute, Category::EquipmentFault, Category::HygieneDefect,
                               Category::SafetyHazard, Category::SignageLighting, Category::Landscaping,
                               Category::OrderSecurity, Category::Other]
                            .iter().enumerate().map(|(i, c)| html! {
                                <option value={c.code()} selected={i == 1}>{ label!(ctx.lang, *c) }</option>
                            }) }
                    </select>
                </label>
                <label>{ ctx.t("complaint.urgency") }
                    <select id="c-urgency" onchange={on_kind}>
                        { for [Urgency::Normal, Urgency::Urgent].iter().map(|u| html! {
                            <option value={u.code()} selected={*u == kind.1}>{ label!(ctx.lang, *u) }</option>
                        }) }
                    </select>
                </label>
                <label>{ ctx.t("complaint.zone") }
                    <select id="c-zone">
                        <option value="" selected=true>{ "—" }</option>
                        { for zones.iter().map(|z| html! { <option value={z.code.to_string()}>{ &z.name }</option> }) }
                    </select>
                </label>
                <label>{ ctx.t("complaint.location") }<input id="c-location" required=true /></label>
                <label>{ ctx.t("complaint.contact") }<input id="c-contact" required=true /></label>
                <label>{ ctx.t("raise.summary") }<input id="c-title" required=true /></label>
                <label>{ ctx.t("raise.description") }<textarea id="c-description" /></label>
                { crate::form_error(&error, "c-error") }
                <button type="submit" class="primary wide" id="c-submit">{ ctx.t("complaint.submit") }</button>
            </form>
        </section>
    }
}
