//! The Yew UI: one set of screens for the app on tablets and phones (inside the
//! Tauri shell, working offline against the device core) and for the managers'
//! web dashboard (served by the sync server, talking HTTP). Which screens a
//! person sees follows their role; [`backend::Backend`] hides the transport.

pub mod backend;
pub mod components;
pub mod i18n;
pub mod pages;

use backend::Backend;
use i18n::Lang;
use shared::app::{SessionInfo, SyncStatus};
use shared::ids::{IssueId, PatrolRunId};
use shared::plan::SitePlan;
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
    /// Reminders and escalations.
    Notifications,
    /// The managers' queue of root-cause records (dashboard).
    RootCauses,
    /// Verified complaints waiting for their call-back (customer service).
    Callbacks,
    /// Entering a resident's complaint.
    NewComplaint,
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
}

impl Ctx {
    pub fn t(&self, key: &'static str) -> &'static str {
        i18n::tr(self.lang, key)
    }
    pub fn offset(&self) -> i32 {
        self.session.site.deadlines.utc_offset_minutes
    }
}

/// Runs an async backend call and reports its error in the banner.
pub fn run<T: 'static>(
    ctx: &Ctx,
    fut: impl std::future::Future<Output = backend::Res<T>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    let notify = ctx.notify.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match fut.await {
            Ok(v) => done(v),
            Err(e) => notify.emit((true, e.message)),
        }
    });
}

fn home_of(session: &SessionInfo) -> Page {
    match session.user.role {
        shared::Role::Inspector => Page::Tasks,
        shared::Role::Admin => Page::Plan,
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
    let page = use_state(|| Page::Issues);
    let banner = use_state(|| None::<(bool, String)>);

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
                    page.set(home_of(&s));
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
        let (backend, status, notify) = (backend.clone(), status.clone(), notify.clone());
        Callback::from(move |sync: bool| {
            let (backend, status, notify) = (backend.clone(), status.clone(), notify.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = if sync {
                    backend.sync().await
                } else {
                    backend.status().await
                };
                match r {
                    Ok(s) => status.set(s),
                    Err(e) => notify.emit((true, e.message)),
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
            let (session, page) = (session.clone(), page.clone());
            Callback::from(move |s: SessionInfo| {
                page.set(home_of(&s));
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
        Callback::from(move |p: Page| {
            banner.set(None);
            page.set(p);
        })
    };
    let ctx = Ctx {
        backend: (*backend).clone(),
        lang: *lang,
        session: sess,
        plan: (*plan).clone(),
        status: (*status).clone(),
        go,
        refresh,
        notify,
    };
    let on_logout = {
        let (backend, session) = (backend.clone(), session.clone());
        Callback::from(move |_| {
            let (backend, session) = (backend.clone(), session.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if backend.logout().await.is_ok() {
                    session.set(None);
                }
            });
        })
    };
    let body = match (*page).clone() {
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
        Page::Notifications => html! { <pages::notifications::Notifications /> },
        Page::RootCauses => html! { <pages::rootcause::RootCauseQueue /> },
        Page::NewComplaint => html! { <pages::complaints::NewComplaint /> },
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
                <components::Nav page={(*page).clone()} />
            </div>
            if let Some((is_error, text)) = (*banner).clone() {
                <div class={classes!("banner", is_error.then_some("error"))} id="banner" onclick={dismiss}>{ text }</div>
            }
            <main>{ body }</main>
        </ContextProvider<Ctx>>
    }
}

/// Entry point: mounts the UI on the page's `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}
