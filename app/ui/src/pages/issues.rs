//! Issue lists by role: a manager's findings with filters (zone, category,
//! grade, status, overdue, assignee), a field worker's orders by deadline
//! (overdue in red), an inspector's own findings.

use crate::{Ctx, Page, i18n, label, run};
use shared::app::{IssueFilter, by_deadline};
use shared::codes::{Category, Grade, Role, Status};
use shared::wire::IssueSummary;
use yew::prelude::*;

fn select_value(e: &Event) -> String {
    let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
    s.value()
}

#[derive(Properties, PartialEq)]
pub struct IssuesProps {
    /// The call-back queue: verified complaints waiting for their call-back.
    #[prop_or(false)]
    pub callbacks: bool,
}

#[function_component(Issues)]
pub fn issues(p: &IssuesProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let role = ctx.session.user.role;
    let me = ctx.session.user.name.to_string();
    let callbacks = p.callbacks;
    let chooses = matches!(role, Role::Manager | Role::Admin) && !callbacks;
    // What a manager chose lives in the address, so it survives opening an
    // issue and coming Back; the other lists are fixed by role.
    let filter = use_state(|| match role {
        _ if callbacks => IssueFilter {
            complaints: Some(true),
            awaiting_callback: true,
            ..Default::default()
        },
        _ if chooses => IssueFilter::from_query(&crate::route::current_query()),
        Role::FieldStaff => IssueFilter {
            assignee: Some(me.clone()),
            ..Default::default()
        },
        Role::Inspector => IssueFilter {
            raised_by: Some(me.clone()),
            ..Default::default()
        },
        Role::CustomerService => IssueFilter {
            complaints: Some(true),
            ..Default::default()
        },
        _ => IssueFilter::default(),
    });
    let list = use_state(|| None::<Vec<IssueSummary>>);
    {
        let (ctx, list) = (ctx.clone(), list.clone());
        use_effect_with(((*filter).clone(), ctx.status.clone()), move |(f, _)| {
            let f = f.clone();
            let staff = ctx.session.user.role == Role::FieldStaff;
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.issues(&f).await }
                },
                move |mut l| {
                    if staff {
                        by_deadline(&mut l);
                    }
                    list.set(Some(l));
                },
            );
        });
    }
    let set = {
        let filter = filter.clone();
        Callback::from(move |f: IssueFilter| {
            let q = f.query();
            crate::route::replace(&if q.is_empty() {
                Page::Issues.path()
            } else {
                format!("{}?{q}", Page::Issues.path())
            });
            filter.set(f);
        })
    };
    let on = |apply: fn(&mut IssueFilter, String)| {
        let (filter, set) = (filter.clone(), set.clone());
        Callback::from(move |e: Event| {
            let mut f = (*filter).clone();
            apply(&mut f, select_value(&e));
            set.emit(f);
        })
    };
    let f = (*filter).clone();
    let filters = if chooses {
        let zones = ctx
            .plan
            .as_ref()
            .map(|p| p.zones.clone())
            .unwrap_or_default();
        let people = ctx
            .plan
            .as_ref()
            .map(|p| p.users.clone())
            .unwrap_or_default();
        let all = ctx.t("issues.all");
        // On a phone the filters fold away, so the list starts on the first screen.
        let wide = web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .is_none_or(|w| w > 600.0);
        let active = [
            f.zone.is_some(),
            f.category.is_some(),
            f.grade.is_some(),
            f.status.is_some(),
            f.overdue,
            f.assignee.is_some(),
            f.complaints.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        html! {
            <details class="filter-box" id="filter-box" open={wide || active > 0}>
            <summary>{ if active > 0 { format!("{} ({active})", ctx.t("filters.title")) } else { ctx.t("filters.title").to_string() } }</summary>
            <div class="filters" id="filters">
                <label>{ ctx.t("issues.zone") }
                    <select id="f-zone" onchange={on(|f, v| f.zone = v.parse().ok())}>
                        <option value="" selected={f.zone.is_none()}>{ all }</option>
                        { for zones.iter().map(|z| html! { <option value={z.id.to_string()} selected={f.zone == Some(z.id)}>{ &z.name }</option> }) }
                    </select>
                </label>
                <label>{ ctx.t("issues.category") }
                    <select id="f-category" onchange={on(|f, v| f.category = v.parse().ok())}>
                        <option value="" selected={f.category.is_none()}>{ all }</option>
                        { for Category::ALL.iter().map(|c| html! { <option value={c.code()} selected={f.category == Some(*c)}>{ label!(ctx.lang, *c) }</option> }) }
                    </select>
                </label>
                <label>{ ctx.t("issues.grade") }
                    <select id="f-grade" onchange={on(|f, v| f.grade = v.parse().ok())}>
                        <option value="" selected={f.grade.is_none()}>{ all }</option>
                        { for Grade::ALL.iter().map(|g| html! { <option value={g.code()} selected={f.grade == Some(*g)}>{ label!(ctx.lang, *g) }</option> }) }
                    </select>
                </label>
                <label>{ ctx.t("issues.status") }
                    <select id="f-status" onchange={on(|f, v| f.status = v.parse().ok())}>
                        <option value="" selected={f.status.is_none()}>{ all }</option>
                        { for Status::ALL.iter().map(|s| html! { <option value={s.code()} selected={f.status == Some(*s)}>{ label!(ctx.lang, *s) }</option> }) }
                    </select>
                </label>
                <label>{ ctx.t("issues.assignee") }
                    <select id="f-assignee" onchange={on(|f, v| f.assignee = (!v.is_empty()).then_some(v))}>
                        <option value="" selected={f.assignee.is_none()}>{ all }</option>
                        { for people.iter().filter(|u| u.role == Role::FieldStaff).map(|u| html! {
                            <option value={u.name.to_string()} selected={f.assignee.as_deref() == Some(u.name.as_str())}>{ &u.display_name }</option>
                        }) }
                    </select>
                </label>
                <label>{ ctx.t("issues.source") }
                    <select id="f-source" onchange={on(|f, v| f.complaints = match v.as_str() {
                        "complaint" => Some(true),
                        "patrol" => Some(false),
                        _ => None,
                    })}>
                        <option value="" selected={f.complaints.is_none()}>{ all }</option>
                        <option value="complaint" selected={f.complaints == Some(true)}>{ ctx.t("complaint.badge") }</option>
                        <option value="patrol" selected={f.complaints == Some(false)}>{ ctx.t("issues.source_patrol") }</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" id="f-overdue" checked={filter.overdue}
                        onchange={{ let (filter, set) = (filter.clone(), set.clone()); Callback::from(move |e: Event| {
                            let i: web_sys::HtmlInputElement = e.target_unchecked_into();
                            let mut f = (*filter).clone();
                            f.overdue = i.checked();
                            set.emit(f);
                        }) }} />
                    { ctx.t("issues.overdue") }
                </label>
            </div>
            </details>
        }
    } else {
        html! {}
    };
    let title = match role {
        _ if callbacks => ctx.t("nav.callbacks"),
        Role::FieldStaff => ctx.t("nav.orders"),
        Role::Inspector => ctx.t("nav.mine_raised"),
        _ => ctx.t("issues.title"),
    };
    let new_complaint = {
        let go = ctx.go.clone();
        Callback::from(move |_| go.emit(Page::NewComplaint))
    };
    html! {
        <section>
            <h1>{ title }</h1>
            if callbacks {
                <p class="muted">{ ctx.t("callbacks.hint") }</p>
            }
            if shared::policy::may_raise(role, true) && !callbacks {
                <button class="primary" id="new-complaint" onclick={new_complaint}>{ ctx.t("complaint.new") }</button>
            }
            { filters }
            { match (*list).clone() {
                None => html! { <p class="muted">{ ctx.t("loading") }</p> },
                Some(l) if l.is_empty() => html! { <p class="muted" id="no-issues">{ ctx.t("issues.empty") }</p> },
                Some(l) => html! { <IssueList list={l} /> },
            } }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct IssueListProps {
    pub list: Vec<IssueSummary>,
}

/// Issues as the lists show them: title, state, source, point, grade,
/// assignee, deadline and badges; each opens its issue.
#[function_component(IssueList)]
pub fn issue_list(p: &IssueListProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let l = &p.list;
    html! {
                    <ul class="issues" id="issue-list">
                        { for l.iter().map(|s| {
                            let (go, id) = (ctx.go.clone(), s.id);
                            html! {
                                <li>
                                    <button class={classes!("issue", s.overdue.then_some("overdue"))}
                                        id={format!("issue-{}", s.id)} data-title={s.title.clone()}
                                        onclick={Callback::from(move |_| go.emit(Page::Issue { id }))}>
                                        <span class="row">
                                            <strong>{ &s.title }</strong>
                                            <span class="grow"></span>
                                            <span class={classes!("badge", s.status.code())}>{ label!(ctx.lang, s.status) }</span>
                                        </span>
                                        <span class="row muted">
                                            if let Some(loc) = &s.complaint_location {
                                                <span class="badge complaint">{ ctx.t("complaint.badge") }</span>
                                                <span>{ loc }</span>
                                            }
                                            if let Some(r) = &s.repeat {
                                                <span class="badge overdue repeat">
                                                    { if r.after_verified { ctx.t("repeat.after_verified") } else { ctx.t("repeat.badge") } }
                                                </span>
                                            }
                                            if let Some(ok) = s.satisfied {
                                                <span class={classes!("badge", if ok { "verified" } else { "overdue" })}>
                                                    { if ok { ctx.t("callback.satisfied") } else { ctx.t("callback.unsatisfied") } }
                                                </span>
                                            }
                                            <span>{ s.checkpoint.as_deref().map(|c| ctx.point(c)).unwrap_or_default() }</span>
                                            <span>{ label!(ctx.lang, s.grade) }</span>
                                            <span>{ s.assignee.as_deref().map(|a| ctx.person(a)).unwrap_or_default() }</span>
                                            <span class="grow"></span>
                                            if let Some(d) = s.deadline {
                                                <span class="deadline">{ format!("{} {}", ctx.t("issues.deadline"), i18n::short_time(d, ctx.offset())) }</span>
                                            }
                                            if s.overdue { <span class="badge overdue">{ ctx.t("issues.overdue") }</span> }
                                            if let (true, Some(v)) = (s.awaiting_callback, s.verified_at) {
                                                <span class={classes!("badge", "awaiting-callback",
                                                    (i18n::now() - v > chrono::Duration::hours(ctx.session.site.deadlines.callback_hours.into())).then_some("overdue"))}>
                                                    { format!("{} · {} {}", ctx.t("callbacks.waiting"), ctx.t("callbacks.for"),
                                                        i18n::span((i18n::now() - v).num_seconds(), ctx.lang)) }
                                                </span>
                                            }
                                        </span>
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
    }
}
