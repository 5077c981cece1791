//! One issue: its photos, the full timeline (who, role, device time, server
//! time), conflicts and refusals shown plainly, and what this person may do
//! next: assign, record the fix, verify or reject, comment.

use crate::components::field;
use crate::components::{Photo, PhotoPicker};
use crate::i18n::{from_local_input, to_local_input};
use crate::{Ctx, i18n, label, run};
use chrono::{DateTime, Utc};
use shared::codes::{Department, Role, Status};
use shared::ids::IssueId;
use shared::issue::{EventBody, EventOutcome, PhotoRef, PhotoRole};
use shared::wire::IssueDetail;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    pub id: IssueId,
}

/// "期限 11-20 18:00 → 11-19 18:00（缩短 24 小时）": how an event moved the deadline.
fn deadline_moved(ctx: &Ctx, m: &shared::issue::DeadlineMove, off: i32) -> String {
    let at = |t: Option<DateTime<Utc>>| {
        t.map(|t| i18n::long_time(t, off))
            .unwrap_or_else(|| "—".into())
    };
    let how = match m.by_seconds() {
        Some(s) if s > 0 => format!(
            " ({} {})",
            ctx.t("deadline.extended"),
            i18n::span(s, ctx.lang)
        ),
        Some(s) => format!(
            " ({} {})",
            ctx.t("deadline.shortened"),
            i18n::span(-s, ctx.lang)
        ),
        None => String::new(),
    };
    format!(
        "{} {} → {}{how}",
        ctx.t("assign.deadline"),
        at(m.from),
        at(m.to)
    )
}

/// A complaint's service-level clock: its response (dispatch) and resolution
/// times, met, late, or how long is left.
fn sla_clock(ctx: &Ctx, s: &shared::wire::IssueSummary, off: i32) -> Html {
    let now = i18n::now();
    let line =
        |id: &'static str, what: &'static str, due: DateTime<Utc>, done: Option<DateTime<Utc>>| {
            let (class, state) = match done {
                Some(at) if at <= due => ("ok", ctx.t("sla.met").to_string()),
                Some(_) => ("bad", ctx.t("sla.late").to_string()),
                None if now <= due => (
                    "",
                    format!(
                        "{} {}",
                        ctx.t("sla.left"),
                        i18n::span((due - now).num_seconds(), ctx.lang)
                    ),
                ),
                None => (
                    "bad",
                    format!(
                        "{} {}",
                        ctx.t("sla.over"),
                        i18n::span((now - due).num_seconds(), ctx.lang)
                    ),
                ),
            };
            html! {
                <p id={id} class={classes!("sla", class)}>
                    { format!("{}: {} · {state}", ctx.t(what), i18n::long_time(due, off)) }
                </p>
            }
        };
    let resolved = match s.status {
        Status::Rectified | Status::Verified => s.rectified_at,
        _ => None,
    };
    html! {
        <>
            if let Some(due) = s.respond_by { { line("sla-respond", "sla.respond_by", due, s.responded_at) } }
            if let (Some(due), false) = (s.deadline, s.status == Status::Cancelled) {
                { line("sla-resolve", "sla.resolve_by", due, resolved) }
            }
        </>
    }
}

#[function_component(Detail)]
pub fn detail(p: &DetailProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let detail = use_state(|| None::<IssueDetail>);
    let after = use_state(Vec::<PhotoRef>::new);
    let dept = use_state(|| None::<Department>);
    let enlarged = use_state(|| None::<String>);
    let assign_error = use_state(|| None::<String>);
    {
        let (ctx, detail) = (ctx.clone(), detail.clone());
        use_effect_with((p.id, ctx.status.clone()), move |(id, _)| {
            let id = *id;
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.issue(id).await }
                },
                move |d| detail.set(Some(d)),
            );
        });
    }
    // Esc closes an enlarged photo.
    {
        let enlarged = enlarged.clone();
        use_effect_with(enlarged.is_some(), move |open| {
            let listener = open.then(|| {
                let enlarged = enlarged.clone();
                let l = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(
                    move |e: web_sys::KeyboardEvent| {
                        if e.key() == "Escape" {
                            enlarged.set(None);
                        }
                    },
                );
                if let Some(w) = web_sys::window() {
                    let _ =
                        w.add_event_listener_with_callback("keydown", l.as_ref().unchecked_ref());
                }
                l
            });
            move || {
                if let (Some(l), Some(w)) = (listener, web_sys::window()) {
                    let _ = w
                        .remove_event_listener_with_callback("keydown", l.as_ref().unchecked_ref());
                }
            }
        });
    }
    // The assign form's deadline starts as the issue's own (set when it was
    // raised); filled in once per issue state so that a refresh never undoes
    // what the person typed.
    {
        let site = &ctx.session.site;
        let shown = (*detail).as_ref().map(|d| {
            let s = &d.summary;
            let due = s
                .deadline
                .unwrap_or_else(|| site.deadlines.default_deadline(s.grade, s.raised_at));
            (s.id, s.status, to_local_input(due, ctx.offset()))
        });
        let value = shown
            .as_ref()
            .map(|(_, _, v)| v.clone())
            .unwrap_or_default();
        crate::components::use_initial_values(shown, vec![("deadline".into(), value)]);
    }
    let Some(d) = (*detail).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let s = &d.summary;
    let me = &ctx.session.user;
    // Which checklist item failed, by its label (地面清洁 (floor)).
    let failed_item = d
        .timeline
        .first()
        .and_then(|t| t.body.get("item"))
        .and_then(|v| v.as_str())
        .map(|code| {
            let label = ctx.plan.as_ref().and_then(|p| {
                p.templates
                    .iter()
                    .flat_map(|t| t.items.iter())
                    .find(|i| i.code.as_str() == code)
                    .map(|i| i.label.clone())
            });
            match label {
                Some(l) => format!("{l} ({code})"),
                None => code.to_string(),
            }
        });
    let off = ctx.offset();
    let send = {
        let (ctx, detail, after, id) = (ctx.clone(), detail.clone(), after.clone(), p.id);
        Callback::from(move |body: EventBody| {
            let (detail, after, refresh, notify, saved) = (
                detail.clone(),
                after.clone(),
                ctx.refresh.clone(),
                ctx.notify.clone(),
                ctx.t("saved"),
            );
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.event(id, &body).await }
                },
                move |d| {
                    detail.set(Some(d));
                    after.set(Vec::new());
                    refresh.emit(false);
                    notify.emit((false, saved.to_string()));
                },
            );
        })
    };

    // ---- actions
    let mut actions = Vec::new();
    let complaint = d.complaint.is_some();
    let can = |kind| shared::policy::allowed_on(me.role, kind, complaint);
    use shared::policy::ChangeKind;
    if can(ChangeKind::Assign) && matches!(s.status, Status::Recorded | Status::Assigned) {
        let plan = ctx
            .plan
            .clone()
            .unwrap_or_else(|| shared::plan::SitePlan::empty(ctx.session.site.clone()));
        // The department the site sends this kind of problem to, until the person picks another.
        let chosen = dept.unwrap_or_else(|| ctx.session.site.department_for(s.category));
        // The deadline the issue has (set when it was raised); assigning keeps it
        // unless the person assigning changes the field.
        let current_deadline = s.deadline.unwrap_or_else(|| {
            ctx.session
                .site
                .deadlines
                .default_deadline(s.grade, s.raised_at)
        });
        let shown_deadline = to_local_input(current_deadline, off);
        // The department's own staff first; everyone else who can take an order after them.
        let people: Vec<_> = plan
            .users
            .iter()
            .filter(|u| u.active && matches!(u.role, Role::FieldStaff | Role::Manager))
            .cloned()
            .collect();
        let (ours, others): (Vec<_>, Vec<_>) = people
            .iter()
            .cloned()
            .partition(|u| u.role == Role::FieldStaff && u.department == Some(chosen));
        let on_dept = {
            let dept = dept.clone();
            Callback::from(move |e: Event| {
                let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
                dept.set(sel.value().parse().ok());
            })
        };
        let submit = {
            let (send, people) = (send.clone(), people.clone());
            let (shown, keep) = (shown_deadline.clone(), s.deadline.is_some());
            let bad_deadline = ctx.t("assign.bad_deadline");
            let past = ctx.t("confirm.deadline_past");
            let assign_error = assign_error.clone();
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let Some(u) = people.iter().find(|u| u.name.as_str() == field("assignee")) else {
                    return;
                };
                let typed = field("deadline");
                let deadline = if typed == shown && keep {
                    None
                } else {
                    let Some(d) = from_local_input(&typed, off) else {
                        assign_error.set(Some(bad_deadline.to_string()));
                        return;
                    };
                    if d < i18n::now() && !crate::components::confirm(past) {
                        return;
                    }
                    Some(d)
                };
                send.emit(EventBody::Assign {
                    department: field("department").parse().unwrap_or(chosen),
                    assignee: u.id,
                    assignee_name: u.name.to_string(),
                    deadline,
                });
            })
        };
        actions.push(html! {
            <form class="action" id="assign" onsubmit={submit}>
                <h2>{ ctx.t("assign.title") }</h2>
                <label>{ ctx.t("assign.department") }
                    <select id="department" onchange={on_dept}>
                        { for plan.departments.iter().map(|d| html! {
                            <option value={d.code.code()} selected={d.code == chosen}>{ label!(ctx.lang, d.code) }</option>
                        }) }
                    </select>
                </label>
                <label>{ ctx.t("assign.person") }
                    <select id="assignee">
                        <optgroup label={label!(ctx.lang, chosen)}>
                            { for ours.iter().map(|u| html! { <option value={u.name.to_string()}>{ format!("{} ({})", u.display_name, u.name) }</option> }) }
                        </optgroup>
                        <optgroup label={ctx.t("assign.others")}>
                            { for others.iter().map(|u| html! { <option value={u.name.to_string()}>{ format!("{} ({})", u.display_name, u.name) }</option> }) }
                        </optgroup>
                    </select>
                </label>
                <label>{ ctx.t("assign.deadline") }
                    <input id="deadline" type="datetime-local" />
                </label>
                { crate::form_error(&assign_error, "assign-error") }
                <button type="submit" class="primary" id="assign-submit">{ ctx.t("assign.submit") }</button>
            </form>
        });
    }
    let assigned_to_me = s.assignee.as_deref() == Some(me.name.as_str());
    // The fix is recorded by the person it was assigned to, not by whoever may.
    if can(ChangeKind::Rectify) && s.status == Status::Assigned && assigned_to_me {
        let submit = {
            let (send, after) = (send.clone(), after.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                send.emit(EventBody::Rectify {
                    note: field("rectify-note"),
                    photos: (*after).clone(),
                });
            })
        };
        let on_photos = {
            let after = after.clone();
            Callback::from(move |v| after.set(v))
        };
        actions.push(html! {
            <form class="action" id="rectify" onsubmit={submit}>
                <h2>{ ctx.t("rectify.title") }</h2>
                <label>{ ctx.t("rectify.note") }<textarea id="rectify-note" required=true /></label>
                if ctx.backend.is_app() {
                    <PhotoPicker id="after-photo" label="rectify.photo" photos={(*after).clone()} on_change={on_photos} />
                }
                <button type="submit" class="primary" id="rectify-submit">{ ctx.t("rectify.submit") }</button>
            </form>
        });
    }
    if can(ChangeKind::Verify) && s.status == Status::Rectified {
        let verify = {
            let send = send.clone();
            Callback::from(move |_| {
                send.emit(EventBody::Verify {
                    note: field("verify-note"),
                })
            })
        };
        let reject = {
            let send = send.clone();
            let ask = ctx.t("confirm.reject_without_note");
            Callback::from(move |_| {
                let note = field("verify-note");
                if note.trim().is_empty() && !crate::components::confirm(ask) {
                    return;
                }
                send.emit(EventBody::Reject {
                    note,
                    department: None,
                    assignee: None,
                    assignee_name: None,
                    deadline: None,
                })
            })
        };
        actions.push(html! {
            <div class="action" id="verify">
                <h2>{ ctx.t("verify.title") }</h2>
                <label>{ ctx.t("verify.note") }<textarea id="verify-note" /></label>
                <div class="row">
                    <button class="primary" id="verify-accept" onclick={verify}>{ ctx.t("verify.accept") }</button>
                    <button class="danger" id="verify-reject" onclick={reject}>{ ctx.t("verify.reject") }</button>
                </div>
            </div>
        });
    }
    if can(ChangeKind::Callback) && s.status == Status::Verified && d.complaint.is_some() {
        let answer = |satisfied: bool| {
            let (send, category) = (send.clone(), s.category);
            let sla = ctx.session.site.complaint_sla.clone();
            let urgency = d.complaint.as_ref().map(|c| c.urgency).unwrap_or_default();
            Callback::from(move |_| {
                let now = crate::i18n::now();
                send.emit(EventBody::Callback {
                    satisfied,
                    note: field("callback-note"),
                    deadline: (!satisfied).then(|| sla.due(category, urgency, now).1),
                })
            })
        };
        actions.push(html! {
            <div class="action" id="callback">
                <h2>{ ctx.t("callback.title") }</h2>
                <label>{ ctx.t("callback.note") }<textarea id="callback-note" /></label>
                <div class="row">
                    <button class="primary" id="callback-satisfied" onclick={answer(true)}>{ ctx.t("callback.satisfied") }</button>
                    <button class="danger" id="callback-unsatisfied" onclick={answer(false)}>{ ctx.t("callback.unsatisfied") }</button>
                </div>
            </div>
        });
    }
    let comment = {
        let send = send.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = field("comment-text");
            if !text.trim().is_empty() {
                send.emit(EventBody::Comment { text });
            }
        })
    };

    let photos = |role: PhotoRole, key: &'static str| {
        let list: Vec<_> = d.photos.iter().filter(|p| p.role == role).collect();
        if list.is_empty() {
            return html! {};
        }
        html! {
            <div class="photos" id={format!("photos-{}", role.code())}>
                <h2>{ ctx.t(key) }</h2>
                <div class="thumbs">
                    { for list.iter().enumerate().map(|(n, p)| {
                        let (enlarged, hash) = (enlarged.clone(), p.photo.hash.to_string());
                        let when = i18n::short_time(p.photo.taken_at.unwrap_or(p.photo.added_at), off);
                        let meta = format!("{} · {when}{}", ctx.person(&p.photo.by_name),
                            if p.uploaded { String::new() } else { format!(" · {}", ctx.t("detail.not_uploaded")) });
                        let alt = format!("{} {} · {} · {when}", ctx.t(if role == PhotoRole::Before { "photo.alt_before" } else { "photo.alt_after" }),
                            n + 1, ctx.person(&p.photo.by_name));
                        let open = { let (enlarged, hash) = (enlarged.clone(), hash.clone()); Callback::from(move |_| enlarged.set(Some(hash.clone()))) };
                        // A photo opens with a tap, Enter or Space.
                        let key = Callback::from(move |e: KeyboardEvent| {
                            if e.key() == "Enter" || e.key() == " " {
                                e.prevent_default();
                                enlarged.set(Some(hash.clone()));
                            }
                        });
                        html! {
                            <figure onclick={open} onkeydown={key} tabindex="0" role="button" aria-label={alt.clone()}>
                                if p.thumb_uploaded || ctx.backend.is_app() {
                                    <Photo hash={p.photo.thumb.to_string()} class="thumb" alt={alt.clone()} />
                                } else {
                                    <span class="photo-missing">{ ctx.t("detail.not_uploaded") }</span>
                                }
                                <figcaption class="muted">{ meta }</figcaption>
                            </figure>
                        }
                    }) }
                </div>
            </div>
        }
    };

    // The rectification notice (整改通知单), printed or filed from the dashboard.
    let notice = {
        let (ctx, id) = (ctx.clone(), s.id);
        Callback::from(move |_| {
            let b = ctx.backend.clone();
            let (notify, ready) = (ctx.notify.clone(), ctx.t("detail.notice_ready"));
            run(&ctx, async move { b.notice_pdf(id).await }, move |buf| {
                let _ = crate::components::download(
                    &format!("notice-{id}.pdf"),
                    &buf,
                    "application/pdf",
                );
                notify.emit((false, ready.to_string()));
            });
        })
    };
    html! {
        <section id="detail" data-status={s.status.code()}>
            <div class="row">
                <h1 class="grow">{ &s.title }</h1>
                if !ctx.backend.is_app() {
                    <button type="button" id="notice-pdf" onclick={notice}>{ ctx.t("detail.notice") }</button>
                }
            </div>
            <p class="row">
                <span class={classes!("badge", s.status.code())} id="detail-status">{ label!(ctx.lang, s.status) }</span>
                <span>{ label!(ctx.lang, s.category) }</span>
                <span>{ label!(ctx.lang, s.grade) }</span>
                <span>{ s.checkpoint.as_deref().map(|c| ctx.point(c)).unwrap_or_default() }</span>
            </p>
            if let Some(item) = failed_item {
                <p id="detail-item">{ format!("{}: {item}", ctx.t("detail.failed_item")) }</p>
            }
            <p class="row muted">
                if let Some(a) = &s.assignee { <span id="detail-assignee">{ format!("{}: {} ({a})", ctx.t("issues.assignee"), ctx.person(a)) }</span> }
                if let Some(dl) = s.deadline {
                    <span class={classes!(s.overdue.then_some("overdue"))}>{ format!("{}: {}", ctx.t("issues.deadline"), i18n::long_time(dl, off)) }</span>
                }
            </p>
            if let Some(c) = &d.complaint {
                <div class="card complaint" id="complaint">
                    <strong>{ ctx.t("complaint.badge") }</strong>
                    <p>{ format!("{}: {}", ctx.t("complaint.location"), c.location) }</p>
                    <p>{ format!("{}: {}", ctx.t("complaint.contact"), c.contact) }</p>
                    <p>{ format!("{}: {}", ctx.t("complaint.urgency"), label!(ctx.lang, c.urgency)) }</p>
                    { sla_clock(&ctx, s, off) }
                    if let Some(cb) = &d.callback {
                        <p id="callback-result" class={classes!(if cb.satisfied { "ok" } else { "bad" })}>
                            { format!("{}: {} · {} {}", ctx.t("callback.title"),
                                if cb.satisfied { ctx.t("callback.satisfied") } else { ctx.t("callback.unsatisfied") },
                                ctx.person(&cb.by_name), i18n::short_time(cb.at, off)) }
                        </p>
                    }
                </div>
            }
            if !d.description.is_empty() { <p>{ &d.description }</p> }
            { photos(PhotoRole::Before, "detail.photos_before") }
            { photos(PhotoRole::After, "detail.photos_after") }
            if let Some(h) = (*enlarged).clone() {
                <div class="enlarged" role="dialog" aria-modal="true" aria-label={ctx.t("detail.photos_before")}
                    onclick={{ let e = enlarged.clone(); Callback::from(move |_| e.set(None)) }}>
                    <button class="close" id="photo-close" aria-label={ctx.t("photo.close")}
                        onclick={{ let e = enlarged.clone(); Callback::from(move |_| e.set(None)) }}>{ "✕ " }{ ctx.t("photo.close") }</button>
                    <Photo hash={h} stamp=true class="full" issue={Some(s.id)} alt={ctx.t("detail.photos_before")} />
                </div>
            }
            if !s.conflicts.is_empty() {
                <div class="conflicts" id="conflicts">
                    <h2>{ ctx.t("detail.conflicts") }</h2>
                    <ul>
                        { for s.conflicts.iter().map(|c| html! {
                            <li>{ format!("{}: {} → {} {}", c.field, c.values.join(" / "), ctx.t("detail.chosen"), c.chosen) }</li>
                        }) }
                    </ul>
                </div>
            }
            { for actions }
            if !ctx.backend.is_app() && matches!(me.role, Role::Manager | Role::Admin) {
                <crate::pages::rootcause::RootCauses issue={s.id} repeat={s.repeat.clone()} />
            }
            <h2>{ ctx.t("detail.timeline") }</h2>
            <ol class="timeline" id="timeline">
                { for d.timeline.iter().map(|t| {
                    let outcome = match &t.outcome {
                        EventOutcome::Applied => html! {},
                        EventOutcome::Refused { code, reason } => html! { <div class="error">{ format!("{}: {}", ctx.t("detail.refused"), crate::i18n::error_text(ctx.lang, code, reason, "")) }</div> },
                        EventOutcome::Conflict { code, reason } => html! { <div class="warn">{ format!("{}: {}", ctx.t("detail.conflict"), crate::i18n::error_text(ctx.lang, code, reason, "")) }</div> },
                    };
                    let note = t.body.get("note").or_else(|| t.body.get("text")).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    html! {
                        <li class={classes!("event", t.kind.clone())}>
                            <div class="row">
                                <strong>{ shared::policy::ChangeKind::from_code(&t.kind).map(|k| label!(ctx.lang, k).to_string()).unwrap_or_else(|| t.kind.clone()) }</strong>
                                <span>{ format!("{} ({})", ctx.person(&t.by), label!(ctx.lang, t.role)) }</span>
                            </div>
                            <div class="muted">
                                { format!("{} {} · {} {}", ctx.t("detail.device_time"), i18n::long_time(t.device_time, off),
                                    ctx.t("detail.server_time"),
                                    t.server_time.map(|x| i18n::long_time(x, off)).unwrap_or_else(|| ctx.t("detail.not_received").to_string())) }
                            </div>
                            if !note.is_empty() { <div>{ note }</div> }
                            if let Some(m) = &t.deadline_moved {
                                <div class="deadline-moved">{ deadline_moved(&ctx, m, off) }</div>
                            }
                            { outcome }
                        </li>
                    }
                }) }
            </ol>
            <form class="action" id="comment" onsubmit={comment}>
                <label>{ ctx.t("comment.title") }<input id="comment-text" /></label>
                <button type="submit" id="comment-submit">{ ctx.t("comment.submit") }</button>
            </form>
        </section>
    }
}
