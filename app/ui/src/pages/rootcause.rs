//! Root-cause analysis (根因分析, PDCA) on the dashboard: on an issue's page,
//! the earlier issues it repeats and the records linked to it — how each was
//! opened, its status (待分析 → 整改中 → 效果验证中 → 有效 / 无效), the five
//! whys, the corrective actions with their owners, due dates and states — and
//! for managers the analysis form; and the managers' queue of every record.

use crate::components::field;
use crate::{Ctx, Page, label, run};
use shared::ids::IssueId;
use shared::repeat::{
    ActionInput, ActionStatus, CauseClass, Repeat, RootCause, RootCauseInput, RootCauseStatus,
};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RootCausesProps {
    pub issue: IssueId,
    pub repeat: Option<Repeat>,
}

/// One row of the corrective-action editor.
#[derive(Clone, PartialEq, Default)]
struct Row {
    n: Option<u32>,
    action: String,
    owner: String,
    due: String,
}

fn rows_of(r: Option<&RootCause>) -> Vec<Row> {
    let rows: Vec<Row> = r
        .map(|r| {
            r.actions
                .iter()
                .map(|a| Row {
                    n: Some(a.n),
                    action: a.action.clone(),
                    owner: a.owner.clone(),
                    due: a.due.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        vec![Row::default()]
    } else {
        rows
    }
}

/// The status badge of a record.
fn status_badge(ctx: &Ctx, s: RootCauseStatus) -> Html {
    html! { <span class={classes!("badge", "rca-status", s.code())}>{ label!(ctx.lang, s) }</span> }
}

#[function_component(RootCauses)]
pub fn root_causes(p: &RootCausesProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let records = use_state(|| None::<Vec<RootCause>>);
    let version = use_state(|| 0u32);
    // The record whose analysis is being written (None: a new record), and the action rows.
    let editing = use_state(|| None::<Option<uuid::Uuid>>);
    let rows = use_state(|| vec![Row::default()]);
    let form_error = use_state(|| None::<String>);
    {
        let (ctx, records) = (ctx.clone(), records.clone());
        use_effect_with((p.issue, *version), move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.root_causes().await }
                },
                move |l| records.set(Some(l)),
            );
        });
    }
    let linked: Vec<RootCause> = records
        .as_ref()
        .map(|l| {
            l.iter()
                .filter(|r| r.issues.contains(&p.issue))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if p.repeat.is_none() && linked.is_empty() {
        return html! {};
    }
    let me = ctx.session.user.name.to_string();
    let manager = ctx.session.user.role == shared::Role::Manager;
    let people: Vec<shared::plan::UserInfo> = ctx
        .plan
        .as_ref()
        .map(|p| p.users.iter().filter(|u| u.active).cloned().collect())
        .unwrap_or_default();
    let name_of = |user: &str| {
        people
            .iter()
            .find(|u| u.name.as_str() == user)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| user.to_string())
    };

    let open_form = {
        let (editing, rows) = (editing.clone(), rows.clone());
        Callback::from(move |r: Option<RootCause>| {
            rows.set(rows_of(r.as_ref()));
            editing.set(Some(r.map(|r| r.id)));
        })
    };
    let save = {
        let (ctx, version, issue, repeat, editing, rows, form_error) = (
            ctx.clone(),
            version.clone(),
            p.issue,
            p.repeat.clone(),
            editing.clone(),
            rows.clone(),
            form_error.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut issues = vec![issue];
            issues.extend(repeat.iter().flat_map(|r| r.earlier.iter().copied()));
            let Ok(cause) = field("rca-cause").parse::<CauseClass>() else {
                return;
            };
            let whys: Vec<String> = (1..=5).map(|i| field(&format!("rca-why-{i}"))).collect();
            // What is missing, in the order the form asks: why, then what, then when.
            if whys.iter().all(|w| w.trim().is_empty()) {
                form_error.set(Some(ctx.t("rca.why_missing").to_string()));
                return;
            }
            let mut actions = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let action = field(&format!("rca-action-{i}"));
                let due_text = field(&format!("rca-due-{i}"));
                // A row left blank is not an action.
                if action.trim().is_empty() && due_text.is_empty() && row.n.is_none() {
                    continue;
                }
                let missing = |what: &'static str| {
                    Some(format!(
                        "{} {}: {}",
                        ctx.t("rca.action"),
                        i + 1,
                        ctx.t(what)
                    ))
                };
                if action.trim().is_empty() {
                    form_error.set(missing("rca.action_missing"));
                    return;
                }
                let Ok(due) = due_text.parse() else {
                    form_error.set(missing("rca.due_missing"));
                    return;
                };
                actions.push(ActionInput {
                    n: row.n,
                    action,
                    owner: field(&format!("rca-owner-{i}")),
                    due,
                });
            }
            let input = RootCauseInput {
                id: (*editing).flatten(),
                issues,
                whys,
                cause,
                actions,
            };
            let (b, notify, version, editing, saved) = (
                ctx.backend.clone(),
                ctx.notify.clone(),
                version.clone(),
                editing.clone(),
                ctx.t("rca.saved"),
            );
            crate::run_form(
                &ctx,
                form_error.clone(),
                async move { b.save_root_cause(&input).await },
                move |_| {
                    notify.emit((false, saved.to_string()));
                    editing.set(None);
                    version.set(*version + 1);
                },
            );
        })
    };
    let act = {
        let (ctx, version) = (ctx.clone(), version.clone());
        move |id: uuid::Uuid, n: u32, status: ActionStatus| {
            let (ctx, version) = (ctx.clone(), version.clone());
            Callback::from(move |_| {
                let (b, version) = (ctx.backend.clone(), version.clone());
                run(
                    &ctx,
                    async move { b.root_cause_action(id, n, status).await },
                    move |_| version.set(*version + 1),
                );
            })
        }
    };

    let record_card = |r: &RootCause| {
        let actions = r.actions.iter().map(|a| {
            let mine = a.owner == me;
            html! {
                <li class={classes!("rca-action", a.status.code())} id={format!("rca-action-{}-{}", r.id, a.n)}>
                    <div class="row">
                        <strong>{ format!("{}. {}", a.n, a.action) }</strong>
                        <span class="grow"></span>
                        <span class={classes!("badge", a.status.code())}>{ label!(ctx.lang, a.status) }</span>
                    </div>
                    <div class="row muted">
                        <span>{ format!("{}: {}", ctx.t("rca.owner"), name_of(&a.owner)) }</span>
                        <span>{ format!("{}: {}", ctx.t("rca.due"), a.due) }</span>
                        if let Some(by) = &a.done_by { <span>{ format!("{} {}", ctx.t("rca.done_by"), name_of(by)) }</span> }
                        if let Some(by) = &a.checked_by { <span>{ format!("{} {}", ctx.t("rca.checked_by"), name_of(by)) }</span> }
                    </div>
                    if a.status == ActionStatus::Open && (manager || mine) && r.is_open() {
                        <button id={format!("rca-done-{}-{}", r.id, a.n)} onclick={act(r.id, a.n, ActionStatus::Done)}>{ ctx.t("rca.mark_done") }</button>
                    }
                    if a.status == ActionStatus::Done && manager {
                        <button id={format!("rca-check-{}-{}", r.id, a.n)} onclick={act(r.id, a.n, ActionStatus::Checked)}>{ ctx.t("rca.mark_checked") }</button>
                    }
                </li>
            }
        });
        let edit = {
            let (open_form, r) = (open_form.clone(), r.clone());
            Callback::from(move |_| open_form.emit(Some(r.clone())))
        };
        html! {
            <div class="card rca" id={format!("rca-{}", r.id)} data-status={r.status.code()}>
                <div class="row">
                    { status_badge(&ctx, r.status) }
                    <span>{ label!(ctx.lang, r.trigger) }</span>
                    <span class="muted">{ format!("{}: {}", ctx.t("rca.analysis_due"), r.due) }</span>
                </div>
                if let Some(c) = r.cause { <p><strong>{ format!("{}: {}", ctx.t("rca.cause"), label!(ctx.lang, c)) }</strong></p> }
                if !r.whys.is_empty() {
                    <ol class="whys">{ for r.whys.iter().map(|w| html! { <li>{ w }</li> }) }</ol>
                }
                if !r.actions.is_empty() {
                    <h3>{ ctx.t("rca.actions") }</h3>
                    <ul class="cards">{ for actions }</ul>
                }
                if !r.recurred.is_empty() {
                    <p class="bad">{ format!("{}: {}", ctx.t("rca.recurred"), r.recurred.len()) }</p>
                }
                <p class="muted">{ format!("{}: {}", ctx.t("rca.issues"), r.issues.len()) }</p>
                if manager && r.is_open() && editing.is_none() {
                    <button class="primary" id={format!("rca-edit-{}", r.id)} onclick={edit}>
                        { if r.whys.is_empty() { ctx.t("rca.write") } else { ctx.t("rca.edit") } }
                    </button>
                }
            </div>
        }
    };

    let editing_record = (*editing)
        .flatten()
        .and_then(|id| linked.iter().find(|r| r.id == id).cloned());
    // A saved analysis fills the form once, when it opens; what the person
    // types afterwards is theirs (a re-render never puts the old text back).
    {
        let mut initial: Vec<(String, String)> = (1..=5)
            .map(|i| {
                let why = editing_record
                    .as_ref()
                    .and_then(|r| r.whys.get(i - 1))
                    .cloned()
                    .unwrap_or_default();
                (format!("rca-why-{i}"), why)
            })
            .collect();
        for (i, row) in rows.iter().enumerate() {
            initial.push((format!("rca-action-{i}"), row.action.clone()));
            initial.push((format!("rca-due-{i}"), row.due.clone()));
        }
        crate::components::use_initial_values(*editing, initial);
    }
    let form = if let Some(_target) = *editing {
        let r = editing_record.as_ref();
        let add_row = {
            let rows = rows.clone();
            Callback::from(move |_| {
                let mut v = (*rows).clone();
                v.push(Row::default());
                rows.set(v);
            })
        };
        let cancel = {
            let editing = editing.clone();
            Callback::from(move |_| editing.set(None))
        };
        html! {
            <form id="rca-form" onsubmit={save}>
                // Lists that grow sit in containers of their own, so that adding
                // an action never re-creates (and empties) the fields already written.
                <div class="whys-fields">
                { for (1..=5).map(|i| html! {
                    <label>{ format!("{} {i}", ctx.t("rca.why")) }
                        <input id={format!("rca-why-{i}")} />
                    </label>
                }) }
                </div>
                <label>{ ctx.t("rca.cause") }
                    <select id="rca-cause">
                        { for CauseClass::ALL.iter().enumerate().map(|(i, c)| html! {
                            <option value={c.code()} selected={r.and_then(|r| r.cause).map_or(i == 0, |x| x == *c)}>{ label!(ctx.lang, *c) }</option>
                        }) }
                    </select>
                </label>
                <h3>{ ctx.t("rca.actions") }</h3>
                <div id="rca-rows">
                { for rows.iter().enumerate().map(|(i, row)| html! {
                    <fieldset class="rca-row" key={i}>
                        <label>{ format!("{} {}", ctx.t("rca.action"), i + 1) }
                            <input id={format!("rca-action-{i}")} />
                        </label>
                        <div class="filters">
                            <label>{ ctx.t("rca.owner") }
                                <select id={format!("rca-owner-{i}")}>
                                    { for people.iter().map(|u| html! {
                                        <option value={u.name.to_string()} selected={u.name.as_str() == row.owner}>{ &u.display_name }</option>
                                    }) }
                                </select>
                            </label>
                            <label>{ ctx.t("rca.due") }<input type="date" id={format!("rca-due-{i}")} /></label>
                        </div>
                    </fieldset>
                }) }
                </div>
                { crate::form_error(&form_error, "rca-error") }
                <div class="row">
                    <button type="button" id="rca-add-action" onclick={add_row}>{ ctx.t("rca.add_action") }</button>
                    <button type="button" id="rca-cancel" onclick={cancel}>{ ctx.t("cancel") }</button>
                    <button type="submit" class="primary" id="rca-submit">{ ctx.t("rca.save") }</button>
                </div>
            </form>
        }
    } else {
        html! {}
    };

    html! {
        <div class="action" id="root-cause">
            if let Some(r) = &p.repeat {
                <div class="conflicts" id="repeat">
                    <strong>{ if r.after_verified { ctx.t("repeat.after_verified") } else { ctx.t("repeat.badge") } }</strong>
                    <p>{ ctx.t("repeat.earlier") }</p>
                    <ul>
                        { for r.earlier.iter().enumerate().map(|(i, id)| {
                            let (go, id) = (ctx.go.clone(), *id);
                            let title = r.titles.get(i).cloned().unwrap_or_else(|| id.to_string());
                            html! { <li><button class="link" data-issue={id.to_string()} onclick={Callback::from(move |_| go.emit(Page::Issue { id }))}>{ title }</button></li> }
                        }) }
                    </ul>
                </div>
            }
            <h2>{ ctx.t("rca.title") }</h2>
            { for linked.iter().map(record_card) }
            if manager && linked.is_empty() && editing.is_none() {
                <button class="primary" id="rca-new" onclick={{
                    let open_form = open_form.clone();
                    Callback::from(move |_| open_form.emit(None))
                }}>{ ctx.t("rca.write") }</button>
            }
            { form }
        </div>
    }
}

/// The managers' queue: every root-cause record of the site, open ones first;
/// a tap opens the first issue it explains.
#[function_component(RootCauseQueue)]
pub fn root_cause_queue() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let records = use_state(|| None::<Vec<RootCause>>);
    {
        let (ctx, records) = (ctx.clone(), records.clone());
        use_effect_with((), move |_| {
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.root_causes().await }
                },
                move |l| records.set(Some(l)),
            );
        });
    }
    let Some(mut list) = (*records).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let order = |s: RootCauseStatus| RootCauseStatus::ALL.iter().position(|x| *x == s);
    list.sort_by_key(|r| (order(r.status), r.due));
    html! {
        <section id="rca-queue">
            <h1>{ ctx.t("rca.title") }</h1>
            if list.is_empty() {
                <p class="muted" id="no-rca">{ ctx.t("rca.none") }</p>
            }
            <ul class="cards">
                { for list.iter().map(|r| {
                    let open = r.actions.iter().filter(|a| a.status == ActionStatus::Open).count();
                    let first = r.issues.first().copied();
                    let go = ctx.go.clone();
                    let open_it = Callback::from(move |_: ()| {
                        if let Some(id) = first {
                            go.emit(Page::Issue { id });
                        }
                    });
                    let onkeydown = crate::components::on_activate(open_it.clone());
                    let onclick = Callback::from(move |_: MouseEvent| open_it.emit(()));
                    html! {
                        <li class="card tap" id={format!("rca-item-{}", r.id)} data-status={r.status.code()}>
                            <div class="tap-area" role="button" tabindex="0" {onclick} {onkeydown}>
                            <div class="row">
                                { status_badge(&ctx, r.status) }
                                <span>{ label!(ctx.lang, r.trigger) }</span>
                                <span>{ r.checkpoint.clone().unwrap_or_default() }</span>
                                if let Some(c) = r.category { <span>{ label!(ctx.lang, c) }</span> }
                            </div>
                            <div class="row muted">
                                <span>{ format!("{}: {}", ctx.t("rca.analysis_due"), r.due) }</span>
                                <span>{ format!("{}: {}", ctx.t("rca.issues"), r.issues.len()) }</span>
                                <span>{ format!("{}: {open}/{}", ctx.t("rca.open_actions"), r.actions.len()) }</span>
                            </div>
                            </div>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
