//! Notifications, newest first: new orders, reminders (a deadline is near),
//! escalations (it has passed), issues waiting for verification or a
//! call-back, complaints not dispatched in time, root-cause analyses due.
//! New ones are marked, and a tap opens the issue.

use crate::i18n::short_time;
use crate::{Ctx, Page, label, run};
use shared::app::NotificationItem;
use yew::prelude::*;

#[function_component(Notifications)]
pub fn notifications() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let list = use_state(|| None::<Vec<NotificationItem>>);
    {
        let (ctx, list) = (ctx.clone(), list.clone());
        use_effect_with((), move |_| {
            let refresh = ctx.refresh.clone();
            run(
                &ctx,
                {
                    let b = ctx.backend.clone();
                    async move { b.notifications().await }
                },
                move |l| {
                    list.set(Some(l));
                    // Opening the list marks them seen: the bell's count follows.
                    refresh.emit(false);
                },
            );
        });
    }
    let Some(list) = (*list).clone() else {
        return html! { <p class="muted">{ ctx.t("loading") }</p> };
    };
    let offset = ctx.offset();
    html! {
        <section>
            <h1>{ ctx.t("notes.title") }</h1>
            if list.is_empty() {
                <p class="muted" id="no-notifications">{ ctx.t("notes.none") }</p>
            }
            <ul class="cards" id="notifications">
                { for list.iter().map(|item| {
                    let n = &item.notification;
                    // A reminder about equipment opens the register; the others their issue.
                    let target = if n.equipment.is_some() {
                        Page::Equipment
                    } else {
                        Page::Issue { id: n.issue }
                    };
                    let go = ctx.go.clone();
                    let class = n.kind.code();
                    let what = label!(ctx.lang, n.kind);
                    html! {
                        <li class={classes!("card", "tap", class, (!item.seen).then_some("unseen"))}
                            id={format!("note-{}", n.id)}>
                            <div class="tap-area" role="button" tabindex="0"
                            onkeydown={crate::components::on_activate({ let (go, target) = (go.clone(), target.clone()); Callback::from(move |_| go.emit(target.clone())) })}
                            onclick={Callback::from(move |_| go.emit(target.clone()))}>
                            <div class="row">
                                <strong class={classes!("kind", class)}>{ what }</strong>
                                <span>{ &n.title }</span>
                                <span class="grow"></span>
                                if !item.seen { <span class="badge">{ ctx.t("notes.new") }</span> }
                            </div>
                            <div class="row muted">
                                <span>{ n.checkpoint.as_deref().map(|c| ctx.point(c)).unwrap_or_default() }</span>
                                <span>{ format!("{} {}", ctx.t("notes.deadline"), short_time(n.deadline, offset)) }</span>
                                if let Some(a) = &n.assignee { <span>{ format!("→ {}", ctx.person(a)) }</span> }
                            </div>
                            </div>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
