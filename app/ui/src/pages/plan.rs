//! The site plan on the dashboard: import checklists and checkpoints from CSV
//! (admins), export them, print the QR label sheet, and order routes for a
//! short walk (admins); zones, checkpoints, checklists and routes as tables.

use crate::components::field;
use crate::{Ctx, label, run};
use shared::plan::SitePlan;
use shared::schedule::{Schedule, Target};
use shared::wire::{ImportRefusal, ImportReport, NewUserRequest};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The text of the file picked in input `id`, if any: UTF-8, or GB18030
/// (GBK, what Excel writes for "CSV (逗号分隔)" on a Chinese system) when it
/// is not UTF-8.
pub(crate) async fn picked_text(id: &str) -> Option<String> {
    let input: web_sys::HtmlInputElement = web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into()
        .ok()?;
    let file = input.files()?.get(0)?;
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .ok()?;
    let bytes = js_sys::Uint8Array::new(&buf);
    let strict = web_sys::TextDecoderOptions::new();
    strict.set_fatal(true);
    if let Ok(utf8) = web_sys::TextDecoder::new_with_label_and_options("utf-8", &strict)
        && let Ok(text) = utf8.decode_with_buffer_source(&bytes)
    {
        return Some(text);
    }
    web_sys::TextDecoder::new_with_label("gb18030")
        .ok()?
        .decode_with_buffer_source(&bytes)
        .ok()
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

/// A route's shorter walk, shown before it is applied.
#[derive(Clone, PartialEq)]
struct Preview {
    route: String,
    codes: Vec<String>,
    before: f64,
    after: f64,
}

#[function_component(Plan)]
pub fn plan() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let plan = use_state(|| None::<SitePlan>);
    let outcome = use_state(|| None::<Result<ImportReport, ImportRefusal>>);
    let sheet = use_state(Vec::<String>::new);
    let version = use_state(|| 0u32);
    let preview = use_state(|| None::<Preview>);
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
                let sla = picked_text("import-sla").await;
                if checklists.is_none() && checkpoints.is_none() && sla.is_none() {
                    ctx.notify
                        .emit((true, ctx.t("plan.pick_files").to_string()));
                    return;
                }
                match ctx.backend.import_plan(checklists, checkpoints, sla).await {
                    Ok(r) => {
                        if r.is_ok() {
                            version.set(*version + 1);
                        }
                        outcome.set(Some(r));
                    }
                    Err(e) => ctx.notify.emit((true, e.text(ctx.lang))),
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
                if let Err(e) = crate::components::download(
                    &format!("{site}-{file}"),
                    &wasm_bindgen::JsValue::from_str(&text),
                    "text/csv",
                ) {
                    notify.emit((true, e));
                }
            });
        })
    };
    // The label sheet: every checkpoint, only the new ones of an import, or the ticked ones.
    let sheet_of = {
        let (ctx, sheet, all) = (ctx.clone(), sheet.clone(), p.checkpoints.len());
        Callback::from(move |only: Option<Vec<String>>| {
            let b = ctx.backend.clone();
            let sheet = sheet.clone();
            let count = only.as_ref().map_or(all, Vec::len);
            run(
                &ctx,
                async move {
                    let mut pages = Vec::new();
                    for page in 1..=count.div_ceil(12).max(1) {
                        pages.push(b.qr_page(page, only.as_deref()).await?);
                    }
                    Ok(pages)
                },
                move |pages| sheet.set(pages),
            );
        })
    };
    let show_sheet = {
        let sheet_of = sheet_of.clone();
        Callback::from(move |_| sheet_of.emit(None))
    };
    let show_chosen = {
        let (ctx, sheet_of) = (ctx.clone(), sheet_of.clone());
        let codes: Vec<String> = p.checkpoints.iter().map(|c| c.code.to_string()).collect();
        Callback::from(move |_| {
            let chosen: Vec<String> = codes
                .iter()
                .filter(|c| crate::components::ticked(&format!("qr-pick-{c}")))
                .cloned()
                .collect();
            if chosen.is_empty() {
                ctx.notify.emit((true, ctx.t("plan.qr_pick").to_string()));
                return;
            }
            sheet_of.emit(Some(chosen));
        })
    };
    let show_new = |codes: Vec<String>| {
        let sheet_of = sheet_of.clone();
        Callback::from(move |_| sheet_of.emit(Some(codes.clone())))
    };
    let print = Callback::from(|_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    });
    // 优化顺序 shows the shorter walk first; it is applied only when the admin agrees.
    let preview_order = |route: String| {
        let (preview, p) = (preview.clone(), p.clone());
        Callback::from(move |_| {
            let Some(r) = p.route_by_code(&route) else {
                return;
            };
            let items: Vec<_> = r
                .checkpoints
                .iter()
                .map(|id| (*id, p.checkpoint(*id).and_then(|c| c.plan_xy)))
                .collect();
            let order = shared::walk::order_items(&items);
            let ordered = shared::plan::Route {
                checkpoints: order.clone(),
                ..r.clone()
            };
            preview.set(Some(Preview {
                route: route.clone(),
                codes: order
                    .iter()
                    .filter_map(|id| p.checkpoint(*id).map(|c| format!("{} {}", c.code, c.name)))
                    .collect(),
                before: walk_length(&p, r),
                after: walk_length(&p, &ordered),
            }));
        })
    };
    let apply_order = {
        let (ctx, version, preview) = (ctx.clone(), version.clone(), preview.clone());
        Callback::from(move |_| {
            let Some(pv) = (*preview).clone() else {
                return;
            };
            let (b, notify, version, preview, lang) = (
                ctx.backend.clone(),
                ctx.notify.clone(),
                version.clone(),
                preview.clone(),
                ctx.lang,
            );
            run(
                &ctx,
                async move { b.order_route(&pv.route).await },
                move |r| {
                    notify.emit((
                        false,
                        format!(
                            "{} {:.0} m → {:.0} m",
                            crate::i18n::tr(lang, "plan.ordered"),
                            r.before,
                            r.after
                        ),
                    ));
                    preview.set(None);
                    version.set(*version + 1);
                },
            );
        })
    };
    let cancel_order = {
        let preview = preview.clone();
        Callback::from(move |_| preview.set(None))
    };

    let remove_schedule = |code: String| {
        let (ctx, version) = (ctx.clone(), version.clone());
        Callback::from(move |_| {
            if !crate::components::confirm(ctx.t("confirm.remove_schedule")) {
                return;
            }
            let (b, version, code) = (ctx.backend.clone(), version.clone(), code.clone());
            // The message says what this action did (not what an earlier one did).
            let (notify, done) = (
                ctx.notify.clone(),
                format!("{} {code}", ctx.t("sched.removed")),
            );
            run(
                &ctx,
                async move { b.remove_schedule(&code).await },
                move |_| {
                    notify.emit((false, done));
                    version.set(*version + 1)
                },
            );
        })
    };
    let repeat_label = |r: &shared::schedule::Repeat| match ctx.lang {
        crate::i18n::Lang::Zh => r.label_zh(),
        crate::i18n::Lang::En => r.label_en(),
    };
    let target = |s: &Schedule| match &s.target {
        Target::Route { route } => p
            .routes
            .iter()
            .find(|r| r.id == *route)
            .map(|r| format!("{} {}", r.code, r.name))
            .unwrap_or_default(),
        Target::Checkpoints { checkpoints } => checkpoints
            .iter()
            .filter_map(|id| p.checkpoint(*id).map(|c| c.code.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let add_user = {
        let (ctx, version) = (ctx.clone(), version.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(role) = field("u-role").parse::<shared::Role>() else {
                return;
            };
            let req = NewUserRequest {
                name: field("u-name"),
                display_name: Some(field("u-display")).filter(|d| !d.trim().is_empty()),
                role,
                department: field("u-department").parse().ok(),
                password: field("u-password"),
            };
            let (b, version) = (ctx.backend.clone(), version.clone());
            run(&ctx, async move { b.add_user(&req).await }, move |_| {
                version.set(*version + 1)
            });
        })
    };
    let enable = |name: String| {
        let (ctx, version) = (ctx.clone(), version.clone());
        Callback::from(move |_| {
            let (b, version, name) = (ctx.backend.clone(), version.clone(), name.clone());
            run(&ctx, async move { b.enable_user(&name).await }, move |_| {
                version.set(*version + 1)
            });
        })
    };
    let disable = |name: String| {
        let (ctx, version) = (ctx.clone(), version.clone());
        Callback::from(move |_| {
            if !crate::components::confirm(ctx.t("confirm.disable_user")) {
                return;
            }
            let (b, version, name) = (ctx.backend.clone(), version.clone(), name.clone());
            run(
                &ctx,
                async move { b.disable_user(&name).await },
                move |_| version.set(*version + 1),
            );
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
                    if !r.schedules_added.is_empty() {
                        <p>{ format!("{}: {}", ctx.t("plan.new_default_schedules"), list(&r.schedules_added)) }</p>
                    }
                    if r.sla_cells > 0 {
                        <p>{ format!("{}: {}", ctx.t("plan.sla_cells"), r.sla_cells) }</p>
                    }
                    if !r.checkpoints_new.is_empty() {
                        <button id="qr-new" onclick={show_new(r.checkpoints_new.clone())}>{ ctx.t("plan.qr_new") }</button>
                    }
                </div>
            }
        }
        Some(Err(refusal)) => html! {
            <div class="card error" id="import-errors">
                <p><strong>{ ctx.t("plan.nothing_imported") }</strong>{ format!(" ({})", refusal.rows.len()) }</p>
                <ul>
                    { for refusal.rows.iter().map(|r| html! {
                        <li class="row-error" data-line={r.line.to_string()}>{ crate::i18n::line_error(ctx.lang, r) }</li>
                    }) }
                </ul>
            </div>
        },
    };

    let unscheduled: Vec<String> = shared::schedule::unscheduled(&p)
        .into_iter()
        .filter_map(|id| p.checkpoint(id).map(|c| format!("{} {}", c.code, c.name)))
        .collect();
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
                    <label>{ ctx.t("plan.sla_file") }
                        <input type="file" id="import-sla" accept=".csv,text/csv" />
                    </label>
                    <button class="primary" id="import-submit" onclick={import}>{ ctx.t("plan.import_submit") }</button>
                }
                <div class="row wrap">
                    <button id="export-checkpoints" onclick={export("checkpoints.csv")}>{ ctx.t("plan.export_checkpoints") }</button>
                    <button id="export-checklists" onclick={export("checklists.csv")}>{ ctx.t("plan.export_checklists") }</button>
                    <button id="export-sla" onclick={export("sla.csv")}>{ ctx.t("plan.export_sla") }</button>
                    <button id="qr-show" onclick={show_sheet}>{ ctx.t("plan.qr") }</button>
                    <button id="qr-chosen" onclick={show_chosen}>{ ctx.t("plan.qr_chosen") }</button>
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
                    <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("plan.points") }</th><th>{ ctx.t("plan.walk") }</th><th>{ ctx.t("plan.actions") }</th></tr>
                    { for p.routes.iter().map(|r| html! {
                        <tr id={format!("plan-route-{}", r.code)}>
                            <td>{ r.code.as_str() }</td>
                            <td>{ &r.name }</td>
                            <td>{ r.checkpoints.len() }</td>
                            <td class="walk">{ format!("{:.0} m", walk_length(&p, r)) }</td>
                            <td>if admin {
                                <button id={format!("order-{}", r.code)} onclick={preview_order(r.code.to_string())}>{ ctx.t("plan.order") }</button>
                            }</td>
                        </tr>
                    }) }
                </table>
                if let Some(pv) = (*preview).clone() {
                    <div class="card" id="order-preview" role="dialog" aria-label={ctx.t("plan.order_preview")}>
                        <p><strong>{ format!("{} {}", ctx.t("plan.order_preview"), ctx.route(&pv.route)) }</strong></p>
                        <p id="order-distance">{ format!("{:.0} m → {:.0} m ({} {:.0} m)", pv.before, pv.after, ctx.t("plan.saved_m"), (pv.before - pv.after).max(0.0)) }</p>
                        <ol>{ for pv.codes.iter().map(|c| html! { <li>{ c }</li> }) }</ol>
                        <div class="row">
                            <button class="primary" id="order-apply" onclick={apply_order.clone()}>{ ctx.t("plan.order_apply") }</button>
                            <button id="order-cancel" onclick={cancel_order.clone()}>{ ctx.t("cancel") }</button>
                        </div>
                    </div>
                }
                <h2>{ format!("{} ({})", ctx.t("sched.title"), p.schedules.len()) }</h2>
                <table class="list" id="schedules">
                    <tr><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("sched.target") }</th><th>{ ctx.t("sched.repeat") }</th><th>{ ctx.t("sched.window") }</th><th>{ ctx.t("sched.seasons") }</th><th>{ ctx.t("sched.assignee") }</th><th>{ ctx.t("plan.actions") }</th></tr>
                    { for p.schedules.iter().map(|s| html! {
                        <tr id={format!("sched-{}", s.code)}>
                            <td>{ s.code.as_str() }</td>
                            <td>{ &s.name }</td>
                            <td>{ target(s) }</td>
                            <td>{ repeat_label(&s.repeat) }</td>
                            <td>{ s.window.map(|w| w.to_string()).unwrap_or_else(|| ctx.t("sched.all_day").to_string()) }</td>
                            <td>{ s.seasons.iter().map(|x| format!("{} {}–{} {}", x.name, x.from, x.until, repeat_label(&x.repeat))).collect::<Vec<_>>().join("；") }</td>
                            <td>{ s.assignee.and_then(|a| p.user(a)).map(|u| u.display_name.clone()).unwrap_or_else(|| ctx.t("sched.any").to_string()) }</td>
                            <td>if admin {
                                <button id={format!("sched-remove-{}", s.code)} onclick={remove_schedule(s.code.to_string())}>{ ctx.t("sched.remove") }</button>
                            }</td>
                        </tr>
                    }) }
                </table>
                if admin {
                    <crate::pages::schedule_form::ScheduleForm plan={p.clone()} on_saved={{
                        let version = version.clone();
                        Callback::from(move |_| version.set(*version + 1))
                    }} />
                }
                <h2>{ format!("{} ({})", ctx.t("plan.checkpoints"), p.checkpoints.len()) }</h2>
                if !unscheduled.is_empty() {
                    <p class="error" id="unscheduled" role="alert">
                        { format!("{} ({}): {}", ctx.t("plan.unscheduled"), unscheduled.len(), unscheduled.join(", ")) }
                    </p>
                }
                <table class="list" id="checkpoints">
                    <tr><th>{ ctx.t("plan.print_label") }</th><th>{ ctx.t("plan.code") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("plan.zone") }</th><th>{ ctx.t("plan.checklist") }</th><th>{ ctx.t("plan.frequency") }</th><th>{ ctx.t("plan.scheduled_by") }</th></tr>
                    { for p.checkpoints.iter().map(|cp| {
                        let by = shared::schedule::schedules_of(&p, cp.id);
                        html! {
                            <tr id={format!("plan-cp-{}", cp.code)} class={classes!(by.is_empty().then_some("unscheduled"))}>
                                <td><input type="checkbox" id={format!("qr-pick-{}", cp.code)}
                                    aria-label={format!("{} {}", ctx.t("plan.print_label"), cp.code)} /></td>
                                <td>{ cp.code.as_str() }</td>
                                <td>{ &cp.name }</td>
                                <td>{ p.zone(cp.zone).map(|z| z.name.clone()).unwrap_or_default() }</td>
                                <td>{ template_name(cp) }</td>
                                <td>{ label!(ctx.lang, cp.frequency) }</td>
                                <td class="cp-schedules">
                                    if by.is_empty() {
                                        <span class="badge overdue">{ ctx.t("plan.unscheduled") }</span>
                                    } else {
                                        { by.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join("、") }
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </table>
                <crate::pages::settings::SiteSettingsForm site={p.site.clone()} on_saved={{
                    let version = version.clone();
                    Callback::from(move |_| version.set(*version + 1))
                }} />
                <h2>{ format!("{} ({})", ctx.t("users.title"), p.users.len()) }</h2>
                <table class="list" id="users">
                    <tr><th>{ ctx.t("login.user") }</th><th>{ ctx.t("plan.name") }</th><th>{ ctx.t("users.role") }</th><th>{ ctx.t("users.department") }</th><th>{ ctx.t("plan.actions") }</th></tr>
                    { for p.users.iter().map(|u| html! {
                        <tr id={format!("user-{}", u.name)} class={classes!((!u.active).then_some("muted"))}>
                            <td>{ u.name.as_str() }</td>
                            <td>{ &u.display_name }</td>
                            <td>{ label!(ctx.lang, u.role) }</td>
                            <td>{ u.department.map(|d| label!(ctx.lang, d)).unwrap_or("—") }</td>
                            <td>
                                if !u.active {
                                    { ctx.t("users.disabled") }
                                    if admin {
                                        <button id={format!("enable-{}", u.name)} onclick={enable(u.name.to_string())}>{ ctx.t("users.enable") }</button>
                                    }
                                }
                                else if admin && u.id != ctx.session.user.id {
                                    <button id={format!("disable-{}", u.name)} onclick={disable(u.name.to_string())}>{ ctx.t("users.disable") }</button>
                                }
                            </td>
                        </tr>
                    }) }
                </table>
                if admin {
                    <form class="card" id="user-form" onsubmit={add_user}>
                        <h3>{ ctx.t("users.add") }</h3>
                        <div class="filters">
                            <label>{ ctx.t("login.user") }<input id="u-name" required=true /></label>
                            <label>{ ctx.t("plan.name") }<input id="u-display" /></label>
                            <label>{ ctx.t("users.role") }
                                <select id="u-role">
                                    { for shared::Role::ALL.iter().enumerate().map(|(i, r)| html! {
                                        <option value={r.code()} selected={i == 0}>{ label!(ctx.lang, *r) }</option>
                                    }) }
                                </select>
                            </label>
                            <label>{ ctx.t("users.department") }
                                <select id="u-department">
                                    <option value="" selected=true>{ "—" }</option>
                                    { for shared::Department::ALL.iter().map(|d| html! {
                                        <option value={d.code()}>{ label!(ctx.lang, *d) }</option>
                                    }) }
                                </select>
                            </label>
                            <label>{ ctx.t("login.password") }<input id="u-password" type="password" required=true minlength="8" /></label>
                        </div>
                        <button type="submit" class="primary" id="u-submit">{ ctx.t("users.submit") }</button>
                    </form>
                }
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
