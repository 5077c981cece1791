//! 设施设备台账 on the dashboard: every piece of equipment with where its
//! maintenance and statutory inspection (年检) stand today, 设施合规率 by
//! kind, the inspection certificates; for managers and administrators, adding
//! and changing equipment, recording a maintenance, uploading a certificate,
//! and importing or exporting the register as CSV.

use crate::components::field;
use crate::{Ctx, label, run};
use shared::codes::EquipmentKind;
use shared::equipment::{Equipment, EquipmentImport, EquipmentView, Register, Standing};
use shared::text::Bilingual;
use shared::wire::ImportRefusal;
use wasm_bindgen::JsCast;
use yew::prelude::*;

fn standing_class(s: Standing) -> &'static str {
    match s {
        Standing::NotApplicable => "muted",
        Standing::Valid => "ok",
        Standing::DueSoon => "warn",
        Standing::Overdue => "bad",
    }
}

fn standing_text(ctx: &Ctx, s: Standing) -> &'static str {
    match s {
        Standing::NotApplicable => ctx.t("equipment.na"),
        Standing::Valid => ctx.t("equipment.valid"),
        Standing::DueSoon => ctx.t("equipment.due_soon"),
        Standing::Overdue => ctx.t("equipment.overdue"),
    }
}

fn percent(f: &shared::kpi::Figure) -> String {
    match f.value {
        Some(v) => format!("{:.1}% ({}/{})", v * 100.0, f.numerator, f.denominator),
        None => "—".into(),
    }
}

/// The file picked in input `id`.
fn picked(id: &str) -> Option<web_sys::File> {
    let input: web_sys::HtmlInputElement = web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into()
        .ok()?;
    input.files()?.get(0)
}

/// The form's fields as a piece of equipment, or what is wrong.
fn from_form(ctx: &Ctx) -> Result<Equipment, String> {
    let code =
        shared::text::Code::parse("equipment code", &field("eq-code")).map_err(|e| {
            match ctx.lang {
                crate::i18n::Lang::Zh => e.zh(),
                crate::i18n::Lang::En => e.to_string(),
            }
        })?;
    let kind = EquipmentKind::from_code_or_label(&field("eq-kind"))
        .ok_or_else(|| ctx.t("equipment.pick_kind").to_string())?;
    let date = |id: &str| -> Result<Option<chrono::NaiveDate>, String> {
        let v = field(id);
        if v.trim().is_empty() {
            return Ok(None);
        }
        v.trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{}: {v}", ctx.t("equipment.bad_date")))
    };
    let days = field("eq-cycle");
    let checkpoint = match field("eq-checkpoint").trim() {
        "" => None,
        c => Some(
            shared::text::Code::parse("point code", c).map_err(|e| match ctx.lang {
                crate::i18n::Lang::Zh => e.zh(),
                crate::i18n::Lang::En => e.to_string(),
            })?,
        ),
    };
    Ok(Equipment {
        code,
        name: field("eq-name"),
        kind,
        location: field("eq-location"),
        checkpoint,
        maintenance_days: if days.trim().is_empty() {
            0
        } else {
            days.trim()
                .parse()
                .map_err(|_| format!("{}: {days}", ctx.t("equipment.bad_cycle")))?
        },
        last_maintained: date("eq-last")?,
        inspection_due: date("eq-due")?,
        certificate: None,
        note: field("eq-note"),
        retired: field("eq-retired") == "yes",
    })
}

fn set_field(id: &str, value: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    {
        if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
            i.set_value(value);
        } else if let Some(s) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
            s.set_value(value);
        } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            t.set_value(value);
        }
    }
}

/// Puts a row into the form for changing it.
fn fill_form(e: &Equipment) {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    set_field("eq-code", e.code.as_str());
    set_field("eq-name", &e.name);
    set_field("eq-kind", e.kind.code());
    set_field("eq-location", &e.location);
    set_field(
        "eq-checkpoint",
        e.checkpoint.as_ref().map(|c| c.as_str()).unwrap_or(""),
    );
    set_field("eq-cycle", &e.maintenance_days.to_string());
    set_field("eq-last", &date(e.last_maintained));
    set_field("eq-due", &date(e.inspection_due));
    set_field("eq-note", &e.note);
    set_field("eq-retired", if e.retired { "yes" } else { "no" });
}

#[function_component(EquipmentPage)]
pub fn equipment_page() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let register = use_state(|| None::<Register>);
    let version = use_state(|| 0u32);
    {
        let (ctx, register) = (ctx.clone(), register.clone());
        use_effect_with(*version, move |_| {
            let b = ctx.backend.clone();
            run(&ctx, async move { b.equipment().await }, move |r| {
                register.set(Some(r))
            });
        });
    }
    let manages = shared::policy::permits(
        ctx.session.user.role,
        shared::policy::Action::ManageEquipment,
    );
    let error = use_state(|| None::<String>);
    let outcome = use_state(|| None::<Result<EquipmentImport, ImportRefusal>>);
    let today = crate::i18n::local_date(crate::i18n::now(), ctx.offset());

    let refresh = {
        let version = version.clone();
        move || version.set(*version + 1)
    };
    let save = {
        let (ctx, error, refresh) = (ctx.clone(), error.clone(), refresh.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let item = match from_form(&ctx) {
                Ok(i) => i,
                Err(m) => {
                    error.set(Some(m));
                    return;
                }
            };
            let b = ctx.backend.clone();
            let (notify, saved, refresh) = (
                ctx.notify.clone(),
                ctx.t("equipment.saved"),
                refresh.clone(),
            );
            crate::run_form(
                &ctx,
                error.clone(),
                async move { b.put_equipment(&item).await },
                move |_| {
                    notify.emit((false, saved.to_string()));
                    refresh();
                },
            );
        })
    };
    let export = {
        let ctx = ctx.clone();
        Callback::from(move |_| {
            let b = ctx.backend.clone();
            let name = format!("{}-equipment.csv", ctx.session.site.code);
            run(&ctx, async move { b.equipment_csv().await }, move |text| {
                let _ = crate::components::download(
                    &name,
                    &wasm_bindgen::JsValue::from_str(&text),
                    "text/csv",
                );
            });
        })
    };
    let import = {
        let (ctx, outcome, refresh) = (ctx.clone(), outcome.clone(), refresh.clone());
        Callback::from(move |_| {
            let b = ctx.backend.clone();
            let (outcome, refresh) = (outcome.clone(), refresh.clone());
            let notify = ctx.notify.clone();
            let none = ctx.t("equipment.pick_file");
            run(
                &ctx,
                async move {
                    let Some(text) = crate::pages::plan::picked_text("eq-import-file").await else {
                        notify.emit((true, none.to_string()));
                        return Ok(None);
                    };
                    b.import_equipment(text).await.map(Some)
                },
                move |r| {
                    if let Some(r) = r {
                        if r.is_ok() {
                            refresh();
                        }
                        outcome.set(Some(r));
                    }
                },
            );
        })
    };

    let row = |v: &EquipmentView| {
        let e = &v.equipment;
        let code = e.code.to_string();
        let edit = {
            let e = e.clone();
            Callback::from(move |_| fill_form(&e))
        };
        let maintain = {
            let (ctx, code, refresh) = (ctx.clone(), code.clone(), refresh.clone());
            let day = today.clone();
            Callback::from(move |_| {
                let b = ctx.backend.clone();
                let (code, day, refresh) = (code.clone(), day.clone(), refresh.clone());
                let (notify, saved) = (ctx.notify.clone(), ctx.t("equipment.maintained"));
                run(
                    &ctx,
                    async move { b.equipment_maintained(&code, &day).await },
                    move |_| {
                        notify.emit((false, saved.to_string()));
                        refresh();
                    },
                );
            })
        };
        let certify = {
            let (ctx, code, refresh) = (ctx.clone(), code.clone(), refresh.clone());
            Callback::from(move |_| {
                let Some(file) = picked(&format!("eq-{code}-file")) else {
                    ctx.notify
                        .emit((true, ctx.t("equipment.pick_file").to_string()));
                    return;
                };
                let due = field(&format!("eq-{code}-due"));
                if due.trim().is_empty() {
                    ctx.notify
                        .emit((true, ctx.t("equipment.pick_due").to_string()));
                    return;
                }
                let b = ctx.backend.clone();
                let (code, refresh) = (code.clone(), refresh.clone());
                let (notify, saved) = (ctx.notify.clone(), ctx.t("equipment.certified"));
                run(
                    &ctx,
                    async move {
                        let upload = crate::backend::read_file(&file).await?;
                        b.certify_equipment(&code, upload, due.trim()).await
                    },
                    move |_| {
                        notify.emit((false, saved.to_string()));
                        refresh();
                    },
                );
            })
        };
        let certificate = e.certificate.as_ref().map(|c| {
            let (ctx, code) = (ctx.clone(), code.clone());
            let (name, mime) = (c.file_name.clone(), c.mime.clone());
            let onclick = Callback::from(move |_| {
                let b = ctx.backend.clone();
                let (code, name, mime) = (code.clone(), name.clone(), mime.clone());
                run(
                    &ctx,
                    async move { b.equipment_certificate(&code).await },
                    move |buf| {
                        let _ = crate::components::download(&name, &buf, &mime);
                    },
                );
            });
            html! {
                <button type="button" class="link" id={format!("eq-{}-cert", e.code)} {onclick}>{ &c.file_name }</button>
            }
        });
        let date =
            |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
        html! {
            <tr id={format!("eq-{}", e.code)} class={classes!(e.retired.then_some("muted"))}
                data-compliant={v.compliant.to_string()}>
                <td class="mono">{ &code }</td>
                <td>{ &e.name }<br/><span class="muted">{ label!(ctx.lang, e.kind) }</span></td>
                <td>{ &e.location }
                    if let Some(cp) = &e.checkpoint { <br/><span class="muted mono">{ cp.as_str() }</span> }
                </td>
                <td>
                    if e.maintenance_days > 0 {
                        { format!("{} {}", e.maintenance_days, ctx.t("equipment.days")) }<br/>
                    }
                    <span class="muted">{ date(e.last_maintained) }</span>
                </td>
                <td class={standing_class(v.maintenance)} data-standing={format!("{:?}", v.maintenance)}>
                    { standing_text(&ctx, v.maintenance) }
                    if let Some(n) = v.next_maintenance { <br/><span class="muted">{ n.to_string() }</span> }
                </td>
                <td class={standing_class(v.inspection)} data-standing={format!("{:?}", v.inspection)}>
                    { standing_text(&ctx, v.inspection) }<br/><span class="muted">{ date(e.inspection_due) }</span>
                </td>
                <td>{ certificate.unwrap_or_else(|| html! { <span class="muted">{ "—" }</span> }) }</td>
                <td>{ if e.retired { ctx.t("equipment.retired") } else if v.compliant { ctx.t("equipment.compliant") } else { ctx.t("equipment.not_compliant") } }</td>
                if manages {
                    <td class="eq-actions">
                        <button type="button" id={format!("eq-{}-edit", e.code)} onclick={edit}>{ ctx.t("equipment.edit") }</button>
                        if e.maintenance_days > 0 && !e.retired {
                            <button type="button" id={format!("eq-{}-maintain", e.code)} onclick={maintain}>{ ctx.t("equipment.maintain_today") }</button>
                        }
                        if e.inspection_due.is_some() && !e.retired {
                            <details>
                                <summary id={format!("eq-{}-renew", e.code)}>{ ctx.t("equipment.upload") }</summary>
                                <input type="file" id={format!("eq-{}-file", e.code)} accept="application/pdf,image/jpeg"
                                    aria-label={ctx.t("equipment.certificate")} />
                                <label>{ ctx.t("equipment.valid_until") }
                                    <input type="date" id={format!("eq-{}-due", e.code)} /></label>
                                <button type="button" id={format!("eq-{}-certify", e.code)} onclick={certify}>{ ctx.t("equipment.upload") }</button>
                            </details>
                        }
                    </td>
                }
            </tr>
        }
    };

    let outcome_html = match &*outcome {
        None => html! {},
        Some(Ok(r)) => html! {
            <div class="card" id="eq-import-report">
                { format!("{} {} · {} {} · {} {}",
                    ctx.t("equipment.added"), r.added,
                    ctx.t("equipment.updated"), r.updated,
                    ctx.t("equipment.unchanged"), r.unchanged) }
            </div>
        },
        Some(Err(refusal)) => html! {
            <div class="card error" id="eq-import-errors">
                <p><strong>{ ctx.t("plan.nothing_imported") }</strong>{ format!(" ({})", refusal.rows.len()) }</p>
                <ul>
                    { for refusal.rows.iter().map(|r| html! {
                        <li class="row-error" data-line={r.line.to_string()}>{ crate::i18n::line_error(ctx.lang, r) }</li>
                    }) }
                </ul>
            </div>
        },
    };

    html! {
        <section id="equipment">
            <h1>{ ctx.t("equipment.title") }</h1>
            { match &*register {
                None => html! { <p class="muted">{ ctx.t("loading") }</p> },
                Some(r) => html! {
                    <>
                    <div class="card">
                        <p id="eq-rate"><strong>{ ctx.t("equipment.rate") }</strong>
                            { format!(" {} · {}", percent(&r.compliance.rate), r.today) }</p>
                        <ul class="chips" id="eq-kinds">
                            { for r.compliance.kinds.iter().map(|k| html! {
                                <li id={format!("eq-kind-{}", k.kind.code())}>
                                    { format!("{} {}", label!(ctx.lang, k.kind), percent(&k.rate)) }
                                </li>
                            }) }
                        </ul>
                        <p class="muted">{ format!("{} {} {}", ctx.t("equipment.remind_lead"), r.remind_days, ctx.t("equipment.days")) }</p>
                    </div>
                    <div class="card">
                    if r.items.is_empty() {
                        <p class="muted" id="eq-empty">{ ctx.t("equipment.none") }</p>
                    } else {
                        <table id="eq-table">
                            <thead><tr>
                                <th>{ ctx.t("equipment.code") }</th>
                                <th>{ ctx.t("equipment.name") }</th>
                                <th>{ ctx.t("equipment.location") }</th>
                                <th>{ ctx.t("equipment.cycle") }</th>
                                <th>{ ctx.t("equipment.maintenance") }</th>
                                <th>{ ctx.t("equipment.inspection") }</th>
                                <th>{ ctx.t("equipment.certificate") }</th>
                                <th>{ ctx.t("equipment.state") }</th>
                                if manages { <th></th> }
                            </tr></thead>
                            <tbody>{ for r.items.iter().map(row) }</tbody>
                        </table>
                    }
                    </div>
                    </>
                },
            } }
            <div class="card row">
                <button type="button" id="eq-export" onclick={export}>{ ctx.t("equipment.export") }</button>
                if manages {
                    <label>{ ctx.t("equipment.import_file") }
                        <input type="file" id="eq-import-file" accept=".csv,text/csv" /></label>
                    <button type="button" id="eq-import" onclick={import}>{ ctx.t("equipment.import") }</button>
                }
            </div>
            { outcome_html }
            if manages {
                <form class="card" id="eq-form" onsubmit={save}>
                    <h2>{ ctx.t("equipment.form") }</h2>
                    <div class="row">
                        <label>{ ctx.t("equipment.code") }<input id="eq-code" required=true /></label>
                        <label>{ ctx.t("equipment.name") }<input id="eq-name" required=true /></label>
                        <label>{ ctx.t("equipment.kind") }
                            <select id="eq-kind">
                                { for EquipmentKind::ALL.iter().map(|k| html! {
                                    <option value={k.code()} selected={*k == EquipmentKind::Elevator}>{ label!(ctx.lang, *k) }</option>
                                }) }
                            </select>
                        </label>
                    </div>
                    <div class="row">
                        <label>{ ctx.t("equipment.location") }<input id="eq-location" /></label>
                        <label>{ ctx.t("equipment.checkpoint") }<input id="eq-checkpoint" placeholder="CP-P01" /></label>
                        <label>{ ctx.t("equipment.cycle_days") }<input id="eq-cycle" type="number" min="0" max="3650" /></label>
                    </div>
                    <div class="row">
                        <label>{ ctx.t("equipment.last") }<input id="eq-last" type="date" /></label>
                        <label>{ ctx.t("equipment.due") }<input id="eq-due" type="date" /></label>
                        <label>{ ctx.t("equipment.retired") }
                            <select id="eq-retired">
                                <option value="no" selected=true>{ ctx.t("no") }</option>
                                <option value="yes">{ ctx.t("yes") }</option>
                            </select>
                        </label>
                    </div>
                    <label>{ ctx.t("equipment.note") }<input id="eq-note" /></label>
                    { crate::form_error(&error, "eq-error") }
                    <button type="submit" id="eq-save">{ ctx.t("equipment.save") }</button>
                </form>
            }
        </section>
    }
}
