//! Adding a patrol schedule with controls, not codes: a frequency picker,
//! weekday boxes, a time window, checkpoints to tick, and seasons (a name, a
//! date range of every year, the frequency inside it) added row by row.

use crate::Ctx;
use crate::components::{field, ticked};
use shared::plan::SitePlan;
use shared::wire::ScheduleSpec;
use yew::prelude::*;

const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("mon", "周一", "Mon"),
    ("tue", "周二", "Tue"),
    ("wed", "周三", "Wed"),
    ("thu", "周四", "Thu"),
    ("fri", "周五", "Fri"),
    ("sat", "周六", "Sat"),
    ("sun", "周日", "Sun"),
];

/// The frequencies a person picks from (code, zh, en).
const REPEATS: [(&str, &str, &str); 4] = [
    ("daily", "每天", "Daily"),
    ("weekdays", "每周指定几天", "On chosen weekdays"),
    ("weekly", "每周一次", "Weekly"),
    ("monthly", "每月一次", "Monthly"),
];

fn repeat_select(ctx: &Ctx, id: String, value: &str, onchange: Option<Callback<Event>>) -> Html {
    html! {
        <select id={id} onchange={onchange}>
            { for REPEATS.iter().map(|(code, zh, en)| html! {
                <option value={*code} selected={*code == value}>{ if ctx.lang == crate::i18n::Lang::Zh { *zh } else { *en } }</option>
            }) }
        </select>
    }
}

#[derive(Properties, PartialEq)]
pub struct ScheduleFormProps {
    pub plan: SitePlan,
    pub on_saved: Callback<()>,
}

#[function_component(ScheduleForm)]
pub fn schedule_form(p: &ScheduleFormProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let repeat = use_state(|| "daily".to_string());
    let seasons = use_state(|| 0usize);
    let error = use_state(|| None::<String>);
    let lang = ctx.lang;
    let zh = lang == crate::i18n::Lang::Zh;
    let on_repeat = {
        let repeat = repeat.clone();
        Callback::from(move |_| repeat.set(field("sched-repeat")))
    };
    let add_season = {
        let seasons = seasons.clone();
        Callback::from(move |_| seasons.set(*seasons + 1))
    };
    let save = {
        let (ctx, on_saved, plan, seasons, error) = (
            ctx.clone(),
            p.on_saved.clone(),
            p.plan.clone(),
            seasons.clone(),
            error.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = |id| Some(field(id)).filter(|v| !v.trim().is_empty());
            let days = |prefix: &str| -> Vec<&str> {
                WEEKDAYS
                    .iter()
                    .filter(|(d, _, _)| ticked(&format!("{prefix}-{d}")))
                    .map(|(d, _, _)| *d)
                    .collect()
            };
            let repeat_of = |id: &str, days_prefix: &str| -> Option<String> {
                match field(id).as_str() {
                    "weekdays" => {
                        let d = days(days_prefix);
                        (!d.is_empty()).then(|| d.join(","))
                    }
                    other => Some(other.to_string()),
                }
            };
            let Some(repeat) = repeat_of("sched-repeat", "sched-day") else {
                error.set(Some(ctx.t("sched.pick_days").to_string()));
                return;
            };
            let window = match (text("sched-from"), text("sched-until")) {
                (Some(a), Some(b)) => Some(format!("{a}-{b}")),
                (None, None) => None,
                _ => {
                    error.set(Some(ctx.t("sched.both_times").to_string()));
                    return;
                }
            };
            let mut season_specs = Vec::new();
            for i in 0..*seasons {
                let name = field(&format!("season-name-{i}"));
                if name.trim().is_empty() {
                    continue;
                }
                let md = |m: &str, d: &str| format!("{:0>2}-{:0>2}", field(m), field(d));
                let Some(r) = repeat_of(&format!("season-repeat-{i}"), &format!("season-day-{i}"))
                else {
                    error.set(Some(ctx.t("sched.pick_days").to_string()));
                    return;
                };
                season_specs.push(format!(
                    "{}:{}..{}:{r}",
                    name.trim(),
                    md(&format!("season-from-m-{i}"), &format!("season-from-d-{i}")),
                    md(
                        &format!("season-until-m-{i}"),
                        &format!("season-until-d-{i}")
                    ),
                ));
            }
            let spec = ScheduleSpec {
                code: field("sched-code"),
                name: field("sched-name"),
                route: text("sched-route"),
                checkpoints: plan
                    .checkpoints
                    .iter()
                    .filter(|c| ticked(&format!("sched-cp-{}", c.code)))
                    .map(|c| c.code.to_string())
                    .collect(),
                repeat,
                window,
                seasons: season_specs,
                assignee: text("sched-assignee"),
            };
            let (b, notify, on_saved, done) = (
                ctx.backend.clone(),
                ctx.notify.clone(),
                on_saved.clone(),
                ctx.t("sched.saved"),
            );
            crate::run_form(
                &ctx,
                error.clone(),
                async move { b.put_schedule(&spec).await },
                move |s| {
                    notify.emit((false, format!("{done}: {}", s.name)));
                    on_saved.emit(());
                },
            );
        })
    };
    let day_boxes = |prefix: String| {
        html! {
            <fieldset class="days">
                { for WEEKDAYS.iter().map(|(d, z, e)| html! {
                    <label class="check"><input type="checkbox" id={format!("{prefix}-{d}")} />{ if zh { *z } else { *e } }</label>
                }) }
            </fieldset>
        }
    };
    let month_day = |id: String, max: u32, value: u32| {
        html! {
            <select id={id}>
                { for (1..=max).map(|n| html! { <option value={n.to_string()} selected={n == value}>{ n }</option> }) }
            </select>
        }
    };
    let inspectors: Vec<_> = p
        .plan
        .users
        .iter()
        .filter(|u| u.active && u.role == shared::Role::Inspector)
        .cloned()
        .collect();
    html! {
        <form class="card" id="schedule-form" onsubmit={save}>
            <h3>{ ctx.t("sched.add") }</h3>
            <div class="filters">
                <label>{ ctx.t("plan.code") }<input id="sched-code" required=true placeholder="NIGHT" /></label>
                <label>{ ctx.t("plan.name") }<input id="sched-name" required=true placeholder={ctx.t("sched.name_hint")} /></label>
                <label>{ ctx.t("plan.routes") }
                    <select id="sched-route">
                        <option value="" selected=true>{ ctx.t("sched.points_below") }</option>
                        { for p.plan.routes.iter()
                            .filter(|r| !p.plan.spot_checks.iter().any(|s| s.code == r.code) && !p.plan.adhoc.iter().any(|a| a.code == r.code))
                            .map(|r| html! { <option value={r.code.to_string()}>{ format!("{} {}", r.code, r.name) }</option> }) }
                    </select>
                </label>
                <label>{ ctx.t("sched.repeat") }
                    { repeat_select(&ctx, "sched-repeat".into(), &repeat, Some(on_repeat)) }
                </label>
                <label>{ ctx.t("sched.assignee") }
                    <select id="sched-assignee">
                        <option value="" selected=true>{ ctx.t("sched.any") }</option>
                        { for inspectors.iter().map(|u| html! { <option value={u.name.to_string()}>{ &u.display_name }</option> }) }
                    </select>
                </label>
            </div>
            // Parts that come and go sit in containers of their own, so that
            // showing them never re-creates (and empties) the fields around them.
            <div id="sched-days">
                if *repeat == "weekdays" { { day_boxes("sched-day".into()) } }
            </div>
            <div class="filters">
                <label>{ ctx.t("sched.from_time") }<input type="time" id="sched-from" /></label>
                <label>{ ctx.t("sched.until_time") }<input type="time" id="sched-until" /></label>
            </div>
            <p class="muted">{ ctx.t("sched.window_help") }</p>
            <details id="sched-points">
                <summary>{ ctx.t("sched.checkpoints") }</summary>
                <div class="checks">
                    { for p.plan.checkpoints.iter().map(|c| html! {
                        <label class="check"><input type="checkbox" id={format!("sched-cp-{}", c.code)} />{ format!("{} {}", c.code, c.name) }</label>
                    }) }
                </div>
            </details>
            <h4>{ ctx.t("sched.seasons") }</h4>
            <div id="seasons">
            { for (0..*seasons).map(|i| html! {
                <fieldset class="season" key={i} id={format!("season-{i}")}>
                    <label>{ ctx.t("sched.season_name") }<input id={format!("season-name-{i}")} placeholder={ctx.t("sched.season_name_hint")} /></label>
                    <div class="filters">
                        <label>{ ctx.t("sched.season_from") }
                            <span class="row">{ month_day(format!("season-from-m-{i}"), 12, 6) }{ ctx.t("sched.month") }{ month_day(format!("season-from-d-{i}"), 31, 1) }{ ctx.t("sched.day") }</span>
                        </label>
                        <label>{ ctx.t("sched.season_until") }
                            <span class="row">{ month_day(format!("season-until-m-{i}"), 12, 9) }{ ctx.t("sched.month") }{ month_day(format!("season-until-d-{i}"), 31, 30) }{ ctx.t("sched.day") }</span>
                        </label>
                        <label>{ ctx.t("sched.repeat") }{ repeat_select(&ctx, format!("season-repeat-{i}"), "daily", None) }</label>
                    </div>
                    { day_boxes(format!("season-day-{i}")) }
                </fieldset>
            }) }
            </div>
            { crate::form_error(&error, "sched-error") }
            <div class="row">
                <button type="button" id="season-add" onclick={add_season}>{ ctx.t("sched.add_season") }</button>
                <button type="submit" class="primary" id="sched-submit">{ ctx.t("sched.submit") }</button>
            </div>
        </form>
    }
}
