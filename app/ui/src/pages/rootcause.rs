//! On an issue's page (dashboard): the earlier issues it repeats, the
//! root-cause records linked to it, and for managers a five-whys form that
//! links the record to this issue and the earlier ones.

use crate::components::field;
use crate::{Ctx, Page, run};
use shared::ids::IssueId;
use shared::repeat::{CauseClass, Repeat, RootCause, RootCauseInput};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RootCausesProps {
    pub issue: IssueId,
    pub repeat: Option<Repeat>,
}

#[function_component(RootCauses)]
pub fn root_causes(p: &RootCausesProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let records = use_state(|| None::<Vec<RootCause>>);
    let version = use_state(|| 0u32);
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
    let save = {
        let (ctx, version, issue, repeat) =
            (ctx.clone(), version.clone(), p.issue, p.repeat.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut issues = vec![issue];
            issues.extend(repeat.iter().flat_map(|r| r.earlier.iter().copied()));
            let Ok(cause) = field("rca-cause").parse::<CauseClass>() else {
                return;
            };
            let Ok(due) = field("rca-due").parse() else {
                ctx.notify.emit((true, ctx.t("rca.due").to_string()));
                return;
            };
            let input = RootCauseInput {
                id: None,
                issues,
                whys: (1..=5).map(|i| field(&format!("rca-why-{i}"))).collect(),
                cause,
                action: field("rca-action"),
                owner: field("rca-owner"),
                due,
            };
            let (b, notify, version, saved) = (
                ctx.backend.clone(),
                ctx.notify.clone(),
                version.clone(),
                ctx.t("rca.saved"),
            );
            run(
                &ctx,
                async move { b.save_root_cause(&input).await },
                move |_| {
                    notify.emit((false, saved.to_string()));
                    version.set(*version + 1);
                },
            );
        })
    };
    let label = |c: CauseClass| match ctx.lang {
        crate::i18n::Lang::Zh => c.label_zh(),
        crate::i18n::Lang::En => c.label_en(),
    };
    let people: Vec<shared::plan::UserInfo> = ctx
        .plan
        .as_ref()
        .map(|p| p.users.iter().filter(|u| u.active).cloned().collect())
        .unwrap_or_default();
    let manager = ctx.session.user.role == shared::Role::Manager;
    html! {
        <div class="action" id="root-cause">
            if let Some(r) = &p.repeat {
                <div class="conflicts" id="repeat">
                    <strong>{ if r.after_verified { ctx.t("repeat.after_verified") } else { ctx.t("repeat.badge") } }</strong>
                    <p>{ ctx.t("repeat.earlier") }</p>
                    <ul>
                        { for r.earlier.iter().map(|id| {
                            let (go, id) = (ctx.go.clone(), *id);
                            html! { <li><button class="link" onclick={Callback::from(move |_| go.emit(Page::Issue { id }))}>{ id.to_string() }</button></li> }
                        }) }
                    </ul>
                </div>
            }
            <h2>{ ctx.t("rca.title") }</h2>
            { for linked.iter().map(|r| html! {
                <div class="card rca">
                    <p><strong>{ label(r.cause) }</strong>{ format!(" · {}: {} · {}: {}", ctx.t("rca.owner"), r.owner, ctx.t("rca.due"), r.due) }</p>
                    <ol>{ for r.whys.iter().map(|w| html! { <li>{ w }</li> }) }</ol>
                    <p>{ format!("{}: {}", ctx.t("rca.action"), r.action) }</p>
                    <p class="muted">{ format!("{}: {}", ctx.t("rca.issues"), r.issues.len()) }</p>
                </div>
            }) }
            if manager && linked.is_empty() {
                <form id="rca-form" onsubmit={save}>
                    { for (1..=5).map(|i| html! {
                        <label>{ format!("{} {i}", ctx.t("rca.why")) }<input id={format!("rca-why-{i}")} /></label>
                    }) }
                    <div class="filters">
                        <label>{ ctx.t("rca.cause") }
                            <select id="rca-cause">
                                { for CauseClass::ALL.iter().enumerate().map(|(i, c)| html! {
                                    <option value={c.code()} selected={i == 0}>{ label(*c) }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ ctx.t("rca.owner") }
                            <select id="rca-owner">
                                { for people.iter().enumerate().map(|(i, u)| html! {
                                    <option value={u.name.to_string()} selected={i == 0}>{ &u.display_name }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ ctx.t("rca.due") }<input type="date" id="rca-due" /></label>
                    </div>
                    <label>{ ctx.t("rca.action") }<textarea id="rca-action" /></label>
                    <button type="submit" class="primary" id="rca-submit">{ ctx.t("rca.save") }</button>
                </form>
            }
        </div>
    }
}
