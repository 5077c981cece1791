//! The site plan on the dashboard: import checklists and checkpoints from CSV
//! (admins), export them, print the QR label sheet, and order routes for a
//! short walk (admins); zones, checkpoints, checklists and routes as tables.

use crate::{Ctx, label, run};
use shared::plan::SitePlan;
use shared::wire::{ImportRefusal, ImportReport};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Offers `text` as a file download named `name`.
fn download(name: &str, text: &str, mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "the file cannot be made".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the file cannot be offered".to_string())?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "no link")?
        .dyn_into()
        .map_err(|_| "no link")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The text of the file picked in input `id`, if any.
async fn picked_text(id: &str) -> Option<String> {
    let input: web_sys::HtmlInputElement = web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into()
        .ok()?;
    let file = input.files()?.get(0)?;
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .ok()?;
    text.as_string()
}

fn walk_length(plan: &SitePlan, route: &shared::plan::Route) -> f64 {
    let pts: Vec<(f64, f64)> = route
        .checkpoints
        .iter()
        .filter_map(|id| plan.checkpoint(*id).and_then(|c| c.plan_xy))
        .collect();
    let order: Vec<usize> = (0..pts.len()).collect();
    shared::walk::length(&pts, &order)
}

#[function_component(Plan)]
pub fn plan() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let plan = use_state(|| None::<SitePlan>);
    let outcome = use_state(|| None::<Result<ImportReport, ImportRefusal>>);
    let sheet = use_state(Vec::<String>::new);
    let version = use_state(|| 0u32);
    {
        let (ctx, plan) = (ctx.clone(), plan.clone());
        use_effect_with(*version, move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.plan().await }
                },
                move |p| plan.set(Some(p)),
            );
        });
    }
    let Some(p) = (*plan).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let admin = ctx.session.user.role == shared::Role::Admin;

    let import = {
        let (ctx, outcome, version) = (ctx.clone(), outcome.clone(), version.clone());
        Callback::from(move |_| {
            let (ctx, outcome, version) = (ctx.clone(), outcome.clone(), version.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let checklists = picked_text("import-checklists").await;
                let checkpoints = picked_text("import-checkpoints").await;
                if checklists.is_none() && checkpoints.is_none() {
                    ctx.notify
                        .emit((true, ctx.t("plan.pick_files").to_string()));
                    return;
                }
                match ctx.backend.import_plan(checklists, checkpoints).await {
                    Ok(r) => {
                        if r.is_ok() {
                            version.set(*version + 1);
                        }
                        outcome.set(Some(r));
                    }
                    Err(e) => ctx.notify.emit((true, e.message)),
                }
            });
        })
    };
    let export = |file: &'static str| {
        let (ctx, site) = (ctx.clone(), p.site.code.to_string());
        Callback::from(move |_| {
            let (b, notify) = (ctx.backend.clone(), ctx.notify.clone());
            let site = site.clone();
            run(&ctx, async move { b.export_csv(file).await }, move |text| {
                if let Err(e) = download(&format!("{site}-{file}"), &text, "text/csv") {
                    notify.emit((true, e));
                }
            });
        })
    };
    let show_sheet = {
        let (ctx, sheet, count) = (ctx.clone(), sheet.clone(), p.checkpoints.len());
        Callback::from(move |_| {
            let b = ctx.backend.clone();
            let sheet = sheet.clone();
            run(
                &ctx,
                async move {
                    let mut pages = Vec::new();
                    for page in 1..=count.div_ceil(12).max(1) {
                        pages.push(b.qr_page(page).await?);
                    }
                    Ok(pages)
                },
                move |pages| sheet.set(pages),
            );
        })
    };
    let print = Callback::from(|_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    });
    let order = |route: String| {
        let (ctx, version) = (ctx.clone(), version.clone());
        Callback::from(move |_| {
            let (b, notify, version, route, lang) = (
                ctx.backend.clone(),
                ctx.notify.clone(),
                version.clone(),
                route.clone(),
                ctx.lang,
            );
            run(&ctx, async move { b.order_route(&route).await }, move |r| {
                notify.emit((
                    false,
                    format!(
                        "{} {:.0} m → {:.0} m",
                        crate::i18n::tr(lang, "plan.ordered"),
                        r.before,
                        r.after
                    ),
                ));
                version.set(*version + 1);
            });
        })
    };

    let report = match &*outcome {
        None => html! {},
        Some(Ok(r)) => {
            let list = |v: &Vec<String>| {
                if v.is_empty() {
                    "—".to_string()
                } else {
                    v.join(", ")
                }
            };
            html! {
                <div class="card ok" id="import-report">
                    <p>{ ctx.t("plan.imported") }</p>
                    <p>{ format!("{}: {} · {}: {}", ctx.t("plan.new_checklists"), list(&r.templates_added), ctx.t("plan.new_versions"), list(&r.templates_revised)) }</p>
                    <p>{ format!("{}: {} / {} / {}", ctx.t("plan.points_counts"), r.checkpoints_added, r.checkpoints_updated, r.checkpoints_unchanged) }</p>
                    <p>{ format!("{}: {} · {}: {}", ctx.t("plan.new_zones"), list(&r.zones_added), ctx.t("plan.new_routes"), list(&r.routes_added)) }</p>
                </div>
            }
        }
        Some(Err(refusal)) => html! {
            <div class="card error" id="import-errors">
                <p><strong>{ ctx.t("plan.nothing_imported") }</strong>{ format!(" ({})", refusal.rows.len()) }</p>
                <ul>
                    { for refusal.rows.iter().map(|r| html! {
                        <li class="row-error" data-line={r.line.to_string()}>{ r.to_string() }</li>
                    }) }
                </ul>
            </div>
        },
    };

    let template_name = |cp: &shared::plan::Checkpoint| {
        p.template(cp.template, cp.template_version)
            .map(|t| format!("{} v{}", t.name, t.version))
            .unwrap_or_default()
    };
    html! {
        <section id="plan">
            <h1 class="no-print">{ format!("{} · {}", ctx.t("plan.title"), p.site.name) }</h1>
            <div class="card no-print">
                if admin {
                    <h2>{ ctx.t("plan.import") }</h2>
                    <p class="muted">{ ctx.t("plan.import_hint") }</p>
                    <label>{ ctx.t("plan.checklists_file") }
                        <input type="file" id="import-checklists" accept=".csv,text/csv" />
                    </label>
                    <label>{ ctx.t("plan.checkpoints_file") }
                        <input type="file" id="import-checkpoints" accept=".csv,text/csv" />
                    </label>
                    <button class="primary" id="import-submit" onclick={import}>{ ctx.t("plan.import_submit") }</button>
                }
                <div class="row wrap">
                    <button id="export-checkpoints" onclick={export("checkpoints.csv")}>{ ctx.t("plan.export_checkpoints") }</button>
                    <button id="export-checklists" onclick={export("checklists.csv")}>{ ctx.t("plan.export_checklists") }</button>
                    <button id="qr-show" onclick={show_sheet}>{ ctx.t("plan.qr") }</button>
                </div>
            </div>
            { report }
            if !sheet.is_empty() {
                <div id="qr-sheet">
                    <button class="primary no-print" id="qr-print" onclick={print}>{ ctx.t("plan.print") }</button>
                    { for sheet.iter().map(|svg| Html::from_html_unchecked(AttrValue::from(svg.clone()))) }
                </div>
            }
            <div class="no-print">
                <h2>{ format!("{} ({})", ctx.t("plan.routes"), p.routes.len()) }</h2>
                <table class="list" id="routes">
                    <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("plan.points") }</th><th>{ ctx.t("plan.walk") }</th><th></th></tr>
                    { for p.routes.iter().map(|r| html! {
                        <tr id={format!("plan-route-{}", r.code)}>
                            <td>{ r.code.as_str() }</td>
                            <td>{ &r.name }</td>
                            <td>{ r.checkpoints.len() }</td>
                            <td class="walk">{ format!("{:.0} m", walk_length(&p, r)) }</td>
                            <td>if admin {
                                <button id={format!("order-{}", r.code)} onclick={order(r.code.to_string())}>{ ctx.t("plan.order") }</button>
                            }</td>
                        </tr>
                    }) }
                </table>
                <h2>{ format!("{} ({})", ctx.t("plan.checkpoints"), p.checkpoints.len()) }</h2>
                <table class="list" id="checkpoints">
                    <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("plan.zone") }</th><th>{ ctx.t("plan.checklist") }</th><th>{ ctx.t("plan.frequency") }</th></tr>
                    { for p.checkpoints.iter().map(|cp| html! {
                        <tr id={format!("plan-cp-{}", cp.code)}>
                            <td>{ cp.code.as_str() }</td>
                            <td>{ &cp.name }</td>
                            <td>{ p.zone(cp.zone).map(|z| z.name.clone()).unwrap_or_default() }</td>
                            <td>{ template_name(cp) }</td>
                            <td>{ label!(ctx.lang, cp.frequency) }</td>
                        </tr>
                    }) }
                </table>
                <h2>{ format!("{} ({})", ctx.t("plan.checklists"), p.latest_templates().len()) }</h2>
                <table class="list" id="templates">
                    <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("plan.version") }</th><th>{ ctx.t("plan.items") }</th></tr>
                    { for p.latest_templates().values().map(|t| html! {
                        <tr id={format!("plan-t-{}", t.code)}>
                            <td>{ t.code.as_str() }</td>
                            <td>{ &t.name }</td>
                            <td>{ format!("v{}", t.version) }</td>
                            <td>{ t.items.len() }</td>
                        </tr>
                    }) }
                </table>
            </div>
        </section>
    }
}
