//! Recording an issue for a failed item: category, grade and title come
//! prefilled from the item; add a photo and save.

use crate::components::PhotoPicker;
use crate::components::field;
use crate::{Ctx, Page, label, run};
use shared::app::RaiseRequest;
use shared::codes::{Category, Grade};
use shared::issue::PhotoRef;
use shared::plan::ItemFamily;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RaiseProps {
    pub route: Option<String>,
    pub checkpoint: String,
    pub items: Vec<String>,
}

/// The category a failed item most likely means.
pub fn category_of(family: ItemFamily) -> Category {
    match family {
        ItemFamily::Environment => Category::HygieneDefect,
        ItemFamily::SafetyLighting => Category::SafetyHazard,
        ItemFamily::Facility => Category::EquipmentFault,
    }
}

#[function_component(Raise)]
pub fn raise(p: &RaiseProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let photos = use_state(Vec::<PhotoRef>::new);
    {
        let photos = photos.clone();
        use_effect_with(p.items.clone(), move |_| photos.set(Vec::new()));
    }
    let item_of = |plan: &shared::plan::SitePlan| {
        let cp = plan.checkpoint_by_code(&p.checkpoint)?;
        let code = p.items.first()?;
        plan.template(cp.template, cp.template_version)?
            .items
            .iter()
            .find(|i| i.code.as_str() == code)
            .cloned()
    };
    // The title starts from the failed item, once per item: adding a photo
    // or changing the grade never undoes what the inspector typed.
    {
        let title = ctx
            .plan
            .as_ref()
            .and_then(item_of)
            .map(|i| format!("{} {}", i.label, ctx.t("raise.failed_suffix")))
            .unwrap_or_default();
        crate::components::use_initial_values(
            (p.checkpoint.clone(), p.items.clone(), ctx.plan.is_some()),
            vec![("title".into(), title)],
        );
    }
    let Some(plan) = ctx.plan.clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let cp = plan.checkpoint_by_code(&p.checkpoint).cloned();
    let item = item_of(&plan);
    let category = item
        .as_ref()
        .map(|i| category_of(i.family))
        .unwrap_or(Category::Other);
    let grade = Grade::Deadline;
    let next = {
        let (go, route, checkpoint, rest) = (
            ctx.go.clone(),
            p.route.clone(),
            p.checkpoint.clone(),
            p.items.iter().skip(1).cloned().collect::<Vec<_>>(),
        );
        move || {
            if !rest.is_empty() {
                go.emit(Page::Raise {
                    route: route.clone(),
                    checkpoint: checkpoint.clone(),
                    items: rest.clone(),
                });
            } else if let Some(route) = route.clone() {
                go.emit(Page::Walk { route });
            } else {
                go.emit(Page::Issues);
            }
        }
    };
    let onsubmit = {
        let (ctx, photos, checkpoint, item_code, next) = (
            ctx.clone(),
            photos.clone(),
            p.checkpoint.clone(),
            p.items.first().cloned(),
            next.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let req = RaiseRequest {
                checkpoint: checkpoint.clone(),
                item: item_code.clone(),
                category: field("category").parse().unwrap_or(Category::Other),
                grade: field("grade").parse().unwrap_or(Grade::Deadline),
                title: field("title"),
                description: field("description"),
                photos: (*photos).clone(),
            };
            let (refresh, notify, saved, next) = (
                ctx.refresh.clone(),
                ctx.notify.clone(),
                ctx.t("saved"),
                next.clone(),
            );
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.raise(&req).await }
                },
                move |_| {
                    refresh.emit(false);
                    next();
                    notify.emit((false, saved.to_string()));
                },
            );
        })
    };
    let skip = Callback::from(move |_| next());
    let on_photos = {
        let photos = photos.clone();
        Callback::from(move |v| photos.set(v))
    };
    html! {
        <section>
            <h1>{ ctx.t("raise.title") }</h1>
            <p class="muted">{ format!("{} {}", p.checkpoint, cp.map(|c| c.name).unwrap_or_default()) }</p>
            <form {onsubmit} id="raise">
                if let Some(i) = &item {
                    <p id="raise-item">{ format!("{}: {}", ctx.t("raise.item"), i.label) }</p>
                }
                <label>{ ctx.t("raise.category") }
                    <select id="category">
                        { for Category::ALL.iter().map(|c| html! {
                            <option value={c.code()} selected={*c == category}>{ label!(ctx.lang, *c) }</option>
                        }) }
                    </select>
                </label>
                <label>{ ctx.t("raise.grade") }
                    <select id="grade">
                        { for Grade::ALL.iter().map(|g| html! {
                            <option value={g.code()} selected={*g == grade}>{ label!(ctx.lang, *g) }</option>
                        }) }
                    </select>
                </label>
                <label>{ ctx.t("raise.summary") }<input id="title" required=true /></label>
                <label>{ ctx.t("raise.description") }<textarea id="description" /></label>
                <PhotoPicker id="photo" label="raise.photo" photos={(*photos).clone()} on_change={on_photos} />
                <div class="row">
                    <button type="button" id="skip" onclick={skip}>{ ctx.t("raise.skip") }</button>
                    <span class="grow"></span>
                    <button type="submit" class="primary" id="save-issue">{ ctx.t("raise.save") }</button>
                </div>
            </form>
        </section>
    }
}
