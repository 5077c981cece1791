//! The Yew UI: one set of screens for the app on tablets and phones (inside the
//! Tauri shell, working offline against the device core) and for the managers'
//! web dashboard (served by the sync server, talking HTTP). Which screens a
//! person sees follows their role; [`backend::Backend`] hides the transport.

pub mod backend;
pub mod components;
pub mod i18n;
pub mod pages;
pub mod route;

use backend::Backend;
use i18n::Lang;
use shared::app::{SessionInfo, SyncStatus};
use shared::ids::{IssueId, PatrolRunId};
use shared::plan::SitePlan;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

/// Where the person is.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Tasks,
    Walk {
        route: String,
    },
    Checkpoint {
        route: String,
        code: String,
    },
    Raise {
        route: Option<String>,
        checkpoint: String,
        /// Failed items still to turn into issues, the first one now.
        items: Vec<String>,
    },
    Issues,
    Issue {
        id: IssueId,
    },
    /// The site plan: import, export, QR labels, routes (dashboard).
    Plan,
    /// Recent patrol runs (dashboard).
    Patrols,
    /// Coverage and spot checks (dashboard).
    Coverage,
    /// KPIs of a period (dashboard).
    Analytics,
    /// The issues behind one figure of 分析 (the query of `/api/v1/analytics/issues`).
    AnalyticsIssues {
        query: String,
    },
    /// The ledger (台账): export by period, verify the hash chain (dashboard).
    Ledger,
    /// Reminders and escalations.
    Notifications,
    /// The managers' queue of root-cause records (dashboard).
    RootCauses,
    /// Verified complaints waiting for their call-back (customer service).
    Callbacks,
    /// Entering a resident's complaint.
    NewComplaint,
    /// Residents' satisfaction surveys: record one, list the month's.
    Surveys,
    /// The equipment register (设施设备台账).
    Equipment,
    Patrol {
        id: PatrolRunId,
    },
}

/// What every screen may read and do.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    pub backend: Backend,
    pub lang: Lang,
    pub session: SessionInfo,
    pub plan: Option<SitePlan>,
    pub status: SyncStatus,
    pub go: Callback<Page>,
    /// Ask for a fresh status (after a change) or a sync (`true`).
    pub refresh: Callback<bool>,
    /// Show a message in the banner (errors stay until dismissed).
    pub notify: Callback<(bool, String)>,
    /// Work at another of the person's sites (its code), staying on the same screen.
    pub switch_site: Callback<String>,
}

impl Ctx {
    pub fn t(&self, key: &'static str) -> &'static str {
        i18n::tr(self.lang, key)
    }
    pub fn offset(&self) -> i32 {
        self.session.site.deadlines.utc_offset_minutes
    }
    /// A person as people know them (张维修), from their user name.
    pub fn person(&self, login: &str) -> String {
        self.plan
            .as_ref()
            .and_then(|p| p.user_by_name(login))
            .map(|u| u.display_name.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| login.to_string())
    }
    /// A checkpoint with its name (CP-R09 东区垃圾分类投放点), from its point code.
    pub fn point(&self, code: &str) -> String {
        match self.plan.as_ref().and_then(|p| p.checkpoint_by_code(code)) {
            Some(c) => format!("{} {}", c.code, c.name),
            None => code.to_string(),
        }
    }
    /// A route with its name (R1 住宅区日常巡查), from its code.
    pub fn route(&self, code: &str) -> String {
        match self.plan.as_ref().and_then(|p| p.route_by_code(code)) {
            Some(r) if r.name != r.code.as_str() => format!("{} {}", r.code, r.name),
            _ => code.to_string(),
        }
    }
}

/// Runs an async backend call and reports its error in the banner, in the
/// person's language.
pub fn run<T: 'static>(
    ctx: &Ctx,
    fut: impl std::future::Future<Output = backend::Res<T>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    let (notify, lang) = (ctx.notify.clone(), ctx.lang);
    wasm_bindgen_futures::spawn_local(async move {
        match fut.await {
            Ok(v) => done(v),
            Err(e) => notify.emit((true, e.text(lang))),
        }
    });
}

/// Runs a form's backend call: its error shows in the form's own message
/// (beside what the person filled in), and success clears it.
pub fn run_form<T: 'static>(
    ctx: &Ctx,
    error: UseStateHandle<Option<String>>,
    fut: impl std::future::Future<Output = backend::Res<T>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    let lang = ctx.lang;
    wasm_bindgen_futures::spawn_local(async move {
        match fut.await {
            Ok(v) => {
                error.set(None);
                done(v)
            }
            Err(e) => error.set(Some(e.text(lang))),
        }
    });
}

/// A form's message: what went wrong and what to do, announced to screen readers.
/// Always one element, so that a message appearing or going never shifts
/// (and re-creates) the form's fields.
pub fn form_error(error: &Option<String>, id: &'static str) -> Html {
    html! {
        <div class="form-msg">
            if let Some(e) = error {
                <p class="error form-error" id={id} role="alert">{ e }</p>
            }
        </div>
    }
}

fn home_of(session: &SessionInfo) -> Page {
    match session.user.role {
        shared::Role::Inspector => Page::Tasks,
        shared::Role::Admin => Page::Plan,
        // The group quality office compares its estates first.
        shared::Role::Group => Page::Analytics,
        _ => Page::Issues,
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let backend = use_memo((), |_| Backend::detect());
    let lang = use_state(|| {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item("patrol.lang").ok().flatten())
            .map(|l| if l == "en" { Lang::En } else { Lang::Zh })
            .unwrap_or(Lang::Zh)
    });
    let session = use_state(|| None::<SessionInfo>);
    let checked = use_state(|| false);
    let plan = use_state(|| None::<SitePlan>);
    let status = use_state(SyncStatus::default);
    // The screen comes from the address (a link, a reload, Back), else the role's home.
    let page = use_state(|| Page::parse(&route::current()));
    let banner = use_state(|| None::<(bool, String)>);
    // Back and Forward: the address says which screen; a message belongs to the screen it came from.
    {
        let (page, banner) = (page.clone(), banner.clone());
        use_effect_with((), move |_| {
            let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                banner.set(None);
                page.set(Page::parse(&route::current()));
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "popstate",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "popstate",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    {
        let (backend, session, checked, page) = (
            backend.clone(),
            session.clone(),
            checked.clone(),
            page.clone(),
        );
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(Some(s)) = backend.session().await {
                    if page.is_none() {
                        route::replace(&home_of(&s).path());
                        page.set(Some(home_of(&s)));
                    }
                    session.set(Some(s));
                }
                checked.set(true);
            });
        });
    }
    // Plan and status whenever the session changes.
    {
        let (backend, plan, status) = (backend.clone(), plan.clone(), status.clone());
        use_effect_with((*session).clone(), move |s| {
            if s.is_some() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(p) = backend.plan().await {
                        plan.set(Some(p));
                    }
                    if let Ok(st) = backend.status().await {
                        status.set(st);
                    }
                });
            }
        });
    }

    let notify = {
        let banner = banner.clone();
        Callback::from(move |m: (bool, String)| banner.set(Some(m)))
    };
    let refresh = {
        let (backend, status, notify, lang) = (
            backend.clone(),
            status.clone(),
            notify.clone(),
            lang.clone(),
        );
        Callback::from(move |sync: bool| {
            let (backend, status, notify) = (backend.clone(), status.clone(), notify.clone());
            let lang = *lang;
            wasm_bindgen_futures::spawn_local(async move {
                let r = if sync {
                    backend.sync().await
                } else {
                    backend.status().await
                };
                match r {
                    Ok(s) => status.set(s),
                    Err(e) => notify.emit((true, e.text(lang))),
                }
            });
        })
    };
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |_| {
            let next = lang.other();
            if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                let _ = s.set_item("patrol.lang", if next == Lang::En { "en" } else { "zh" });
            }
            lang.set(next);
        })
    };
    if let Some(doc) = web_sys::window().and_then(|w| w.document())
        && let Some(root) = doc.document_element()
    {
        let _ = root.set_attribute("lang", lang.code());
    }

    let Some(sess) = (*session).clone() else {
        if !*checked {
            return html! { <main class="center">{ i18n::tr(*lang, "loading") }</main> };
        }
        let on_login = {
            let (session, page, banner) = (session.clone(), page.clone(), banner.clone());
            Callback::from(move |s: SessionInfo| {
                // A link followed before logging in opens once logged in.
                let target = Page::parse(&route::current()).unwrap_or_else(|| home_of(&s));
                route::replace(&target.path());
                banner.set(None);
                page.set(Some(target));
                session.set(Some(s));
            })
        };
        return html! {
            <>
                <header class="bar">
                    <strong>{ i18n::tr(*lang, "app.title") }</strong>
                    <button class="link" id="lang" onclick={on_lang}>{ i18n::tr(*lang, "lang.switch") }</button>
                </header>
                <pages::login::Login backend={(*backend).clone()} lang={*lang} on_login={on_login} />
            </>
        };
    };

    let go = {
        let (page, banner) = (page.clone(), banner.clone());
        let (backend, plan) = (backend.clone(), plan.clone());
        Callback::from(move |p: Page| {
            banner.set(None);
            route::push(&p.path());
            page.set(Some(p));
            // The plan may have changed since (an admin's import, a new user):
            // each screen reads the plan as it is now.
            let (backend, plan) = (backend.clone(), plan.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(p) = backend.plan().await
                    && plan.as_ref() != Some(&p)
                {
                    plan.set(Some(p));
                }
            });
        })
    };
    let switch_site = {
        let (backend, session, banner, lang) = (
            backend.clone(),
            session.clone(),
            banner.clone(),
            lang.clone(),
        );
        Callback::from(move |code: String| {
            let (backend, session, banner) = (backend.clone(), session.clone(), banner.clone());
            let lang = *lang;
            wasm_bindgen_futures::spawn_local(async move {
                match backend.choose_site(&code).await {
                    Ok(s) => {
                        banner.set(Some((
                            false,
                            format!("{} {}", i18n::tr(lang, "site.switched"), s.site.name),
                        )));
                        session.set(Some(s));
                    }
                    Err(e) => banner.set(Some((true, e.text(lang)))),
                }
            });
        })
    };
    let current = (*page).clone().unwrap_or_else(|| home_of(&sess));
    let site_key = sess.site.code.to_string();
    let ctx = Ctx {
        backend: (*backend).clone(),
        lang: *lang,
        session: sess,
        plan: (*plan).clone(),
        status: (*status).clone(),
        go,
        refresh,
        notify,
        switch_site,
    };
    let on_logout = {
        let (backend, session, banner, page) = (
            backend.clone(),
            session.clone(),
            banner.clone(),
            page.clone(),
        );
        Callback::from(move |_| {
            let (backend, session, banner, page) = (
                backend.clone(),
                session.clone(),
                banner.clone(),
                page.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                if backend.logout().await.is_ok() {
                    // Nothing of this person's stays on screen for the next one.
                    banner.set(None);
                    route::replace("#/");
                    page.set(None);
                    session.set(None);
                }
            });
        })
    };
    let body = match current.clone() {
        Page::Tasks => html! { <pages::tasks::Tasks /> },
        Page::Walk { route } => html! { <pages::walk::Walk route={route} /> },
        Page::Checkpoint { route, code } => {
            html! { <pages::checkpoint::Checkpoint route={route} code={code} /> }
        }
        Page::Raise {
            route,
            checkpoint,
            items,
        } => html! { <pages::raise::Raise route={route} checkpoint={checkpoint} items={items} /> },
        Page::Issues => html! { <pages::issues::Issues /> },
        Page::Callbacks => html! { <pages::issues::Issues callbacks=true /> },
        Page::Issue { id } => html! { <pages::detail::Detail id={id} /> },
        Page::Plan => html! { <pages::plan::Plan /> },
        Page::Patrols => html! { <pages::patrols::Patrols /> },
        Page::Coverage => html! { <pages::coverage::CoveragePage /> },
        Page::Analytics => html! { <pages::analytics::Analytics /> },
        Page::AnalyticsIssues { query } => {
            html! { <pages::analytics::AnalyticsIssues query={query.clone()} /> }
        }
        Page::Notifications => html! { <pages::notifications::Notifications /> },
        Page::Ledger => html! { <pages::ledger::LedgerPage /> },
        Page::RootCauses => html! { <pages::rootcause::RootCauseQueue /> },
        Page::NewComplaint => html! { <pages::complaints::NewComplaint /> },
        Page::Surveys => html! { <pages::surveys::Surveys /> },
        Page::Equipment => html! { <pages::equipment::EquipmentPage /> },
        Page::Patrol { id } => html! { <pages::patrols::Patrol id={id} /> },
    };
    let dismiss = {
        let banner = banner.clone();
        Callback::from(move |_| banner.set(None))
    };
    html! {
        <ContextProvider<Ctx> context={ctx.clone()}>
            <div class="top">
                <components::StatusBar on_lang={on_lang} on_logout={on_logout} />
                <components::Nav page={current.clone()} />
            </div>
            // Another site is another screen: everything on it is read afresh.
            <main key={site_key}>
                // Messages are announced (errors at once, the rest politely) and
                // belong to the screen that caused them.
                if let Some((is_error, text)) = (*banner).clone() {
                    <div class={classes!("banner", is_error.then_some("error"))} id="banner"
                        role={if is_error { "alert" } else { "status" }} onclick={dismiss}>{ text }</div>
                }
                { body }
            </main>
        </ContextProvider<Ctx>>
    }
}

/// Entry point: mounts the UI on the page's `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}
