//! A site's settings on the dashboard (站点设置): how long people may wait
//! before the reminder job speaks up, the repeat window, and the complaint
//! service levels by kind and urgency (响应 / 解决时限). Admins change them;
//! managers read them.

use crate::components::field;
use crate::{Ctx, label};
use shared::codes::{Category, Department, Urgency};
use shared::deadline::SlaRule;
use shared::plan::{CategoryDepartment, Site};
use shared::wire::SiteSettings;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub site: Site,
    pub on_saved: Callback<()>,
}

fn cell_id(what: &str, c: Category, u: Urgency) -> String {
    format!("sla-{what}-{}-{}", c.code(), u.code())
}

#[function_component(SiteSettingsForm)]
pub fn site_settings(p: &SettingsProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let admin = ctx.session.user.role == shared::Role::Admin;
    let d = p.site.deadlines;
    let table = p.site.complaint_sla.table();
    let error = use_state(|| None::<String>);
    // The site's values, put in when the site (re)loads; typing is never undone by a re-render.
    let mut initial: Vec<(String, String)> = vec![
        ("set-remind".into(), d.remind_hours.to_string()),
        ("set-verify".into(), d.verify_hours.to_string()),
        ("set-callback".into(), d.callback_hours.to_string()),
        ("set-rca".into(), d.root_cause_days.to_string()),
        ("set-equipment".into(), d.equipment_remind_days.to_string()),
        ("set-repeat".into(), p.site.repeat_window_days.to_string()),
    ];
    for dim in shared::codes::Dimension::ALL {
        let w = shared::survey::weight(&p.site.csi_weights, *dim);
        initial.push((format!("csi-w-{}", dim.code()), format!("{w:.0}")));
    }
    for r in &table {
        initial.push((
            cell_id("respond", r.category, r.urgency),
            r.respond_minutes.to_string(),
        ));
        initial.push((
            cell_id("resolve", r.category, r.urgency),
            r.resolve_hours.to_string(),
        ));
    }
    crate::components::use_initial_values(p.site.clone(), initial);
    let save = {
        let (ctx, on_saved, error) = (ctx.clone(), p.on_saved.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let number = |id: &str| field(id).trim().parse::<u32>().ok();
            let mut bad = None;
            let mut rules = Vec::new();
            for c in Category::ALL {
                for u in Urgency::ALL {
                    match (
                        number(&cell_id("respond", *c, *u)),
                        number(&cell_id("resolve", *c, *u)),
                    ) {
                        (Some(respond_minutes), Some(resolve_hours)) => rules.push(SlaRule {
                            category: *c,
                            urgency: *u,
                            respond_minutes,
                            resolve_hours,
                        }),
                        _ => {
                            bad = bad.or(Some(format!(
                                "{} / {}",
                                label!(ctx.lang, *c),
                                label!(ctx.lang, *u)
                            )))
                        }
                    }
                }
            }
            let departments: Vec<CategoryDepartment> = Category::ALL
                .iter()
                .filter_map(|c| {
                    field(&format!("dept-of-{}", c.code()))
                        .parse::<Department>()
                        .ok()
                        .map(|department| CategoryDepartment {
                            category: *c,
                            department,
                        })
                })
                .collect();
            if let Some(cell) = bad {
                error.set(Some(format!(
                    "{}: {}",
                    cell,
                    ctx.t("settings.whole_numbers")
                )));
                return;
            }
            let csi_weights = shared::codes::Dimension::ALL
                .iter()
                .map(|d| shared::survey::DimensionWeight {
                    dimension: *d,
                    weight: field(&format!("csi-w-{}", d.code()))
                        .trim()
                        .parse()
                        .unwrap_or(1),
                })
                .collect();
            let settings = SiteSettings {
                remind_hours: number("set-remind"),
                verify_hours: number("set-verify"),
                callback_hours: number("set-callback"),
                root_cause_days: number("set-rca"),
                equipment_remind_days: number("set-equipment"),
                repeat_window_days: number("set-repeat"),
                keep_originals: None,
                complaint_sla: rules,
                departments,
                csi_weights: Some(csi_weights),
            };
            let (b, notify, on_saved, saved) = (
                ctx.backend.clone(),
                ctx.notify.clone(),
                on_saved.clone(),
                ctx.t("settings.saved"),
            );
            crate::run_form(
                &ctx,
                error.clone(),
                async move { b.site_settings(&settings).await },
                move |_| {
                    notify.emit((false, saved.to_string()));
                    on_saved.emit(());
                },
            );
        })
    };
    let number = |id: &'static str, label: &'static str| {
        html! {
            <label>{ ctx.t(label) }
                <input id={id} type="number" min="0" disabled={!admin} />
            </label>
        }
    };
    html! {
        <form class="card" id="site-settings" onsubmit={save}>
            <h2>{ ctx.t("settings.title") }</h2>
            <div class="filters">
                { number("set-remind", "settings.remind_hours") }
                { number("set-verify", "settings.verify_hours") }
                { number("set-callback", "settings.callback_hours") }
                { number("set-rca", "settings.root_cause_days") }
                { number("set-equipment", "settings.equipment_remind_days") }
                { number("set-repeat", "settings.repeat_days") }
            </div>
            <h3>{ ctx.t("settings.sla") }</h3>
            <div class="scroll">
                <table class="list" id="sla-table">
                    <thead>
                        <tr>
                            <th>{ ctx.t("complaint.category") }</th>
                            <th>{ ctx.t("complaint.urgency") }</th>
                            <th>{ ctx.t("settings.respond_minutes") }</th>
                            <th>{ ctx.t("settings.resolve_hours") }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for table.iter().map(|r| html! {
                            <tr id={format!("sla-{}-{}", r.category.code(), r.urgency.code())}>
                                <td>{ label!(ctx.lang, r.category) }</td>
                                <td>{ label!(ctx.lang, r.urgency) }</td>
                                <td><input type="number" min="1" id={cell_id("respond", r.category, r.urgency)}
                                    aria-label={format!("{} {} {}", label!(ctx.lang, r.category), label!(ctx.lang, r.urgency), ctx.t("settings.respond_minutes"))} disabled={!admin} /></td>
                                <td><input type="number" min="1" id={cell_id("resolve", r.category, r.urgency)}
                                    aria-label={format!("{} {} {}", label!(ctx.lang, r.category), label!(ctx.lang, r.urgency), ctx.t("settings.resolve_hours"))} disabled={!admin} /></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <h3>{ ctx.t("settings.departments") }</h3>
            <div class="scroll">
                <table class="list" id="dept-table">
                    <thead>
                        <tr><th>{ ctx.t("complaint.category") }</th><th>{ ctx.t("assign.department") }</th></tr>
                    </thead>
                    <tbody>
                        { for Category::ALL.iter().map(|c| {
                            let chosen = p.site.department_for(*c);
                            html! {
                                <tr>
                                    <td>{ label!(ctx.lang, *c) }</td>
                                    <td>
                                        <select id={format!("dept-of-{}", c.code())} disabled={!admin}
                                            aria-label={format!("{} {}", label!(ctx.lang, *c), ctx.t("assign.department"))}>
                                            { for Department::ALL.iter().map(|d| html! {
                                                <option value={d.code()} selected={*d == chosen}>{ label!(ctx.lang, *d) }</option>
                                            }) }
                                        </select>
                                    </td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
            <h3>{ ctx.t("settings.csi_weights") }</h3>
            <div class="filters" id="csi-weights">
                { for shared::codes::Dimension::ALL.iter().map(|d| html! {
                    <label>{ label!(ctx.lang, *d) }
                        <input id={format!("csi-w-{}", d.code())} type="number" min="0" max="10" disabled={!admin} />
                    </label>
                }) }
            </div>
            { crate::form_error(&error, "settings-error") }
            if admin {
                <button type="submit" class="primary" id="settings-submit">{ ctx.t("settings.save") }</button>
            }
        </form>
    }
}
