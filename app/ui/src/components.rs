//! Pieces shared by the screens: the status bar (always visible), the
//! navigation, photos, and the photo picker.

use crate::{Ctx, Page, i18n};
use shared::issue::PhotoRef;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The current value of the form field (input, select or textarea) with `id`.
pub fn field(id: &str) -> String {
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id));
    let Some(el) = el else { return String::new() };
    if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    if let Some(s) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
        return s.value();
    }
    el.dyn_ref::<web_sys::HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default()
}

/// Enter or Space on a tappable card does what a tap does (keyboard users).
pub fn on_activate(go: Callback<()>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            go.emit(());
        }
    })
}

/// Whether the checkbox `id` is ticked.
pub fn ticked(id: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

/// Asks the person to confirm an action that deletes, disables or is unusual;
/// true when they agree.
pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

#[derive(Properties, PartialEq)]
pub struct StatusBarProps {
    pub on_lang: Callback<MouseEvent>,
    pub on_logout: Callback<MouseEvent>,
}

/// Online or not, what waits to sync, the last sync, and refused changes.
#[function_component(StatusBar)]
pub fn status_bar(p: &StatusBarProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let syncing = use_state(|| false);
    let open = use_state(|| false);
    let st = &ctx.status;
    let (dot, label) = match st.online {
        Some(true) => ("online", ctx.t("status.online")),
        Some(false) => ("offline", ctx.t("status.offline")),
        None => ("unknown", ctx.t("status.unknown")),
    };
    let pending = st.pending_changes.max(0) as u64 + st.pending_photos;
    let on_sync = {
        let (refresh, syncing) = (ctx.refresh.clone(), syncing.clone());
        Callback::from(move |_| {
            syncing.set(true);
            refresh.emit(true);
        })
    };
    {
        let syncing = syncing.clone();
        use_effect_with(st.clone(), move |_| syncing.set(false));
    }
    // The app syncs by itself every minute while it is open.
    {
        let (refresh, app) = (ctx.refresh.clone(), ctx.backend.is_app());
        use_effect_with((), move |_| {
            let interval = app.then(|| {
                let cb =
                    wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || refresh.emit(true));
                let id = web_sys::window().and_then(|w| {
                    w.set_interval_with_callback_and_timeout_and_arguments_0(
                        cb.as_ref().unchecked_ref(),
                        60_000,
                    )
                    .ok()
                });
                (cb, id)
            });
            move || {
                if let Some((_cb, Some(id))) = interval
                    && let Some(w) = web_sys::window()
                {
                    w.clear_interval_with_handle(id);
                }
            }
        });
    }
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let last = st
        .last_sync
        .map(|t| i18n::short_time(t, ctx.offset()))
        .unwrap_or_else(|| ctx.t("status.never").to_string());
    html! {
        <header class="bar" id="status">
            <span class={classes!("dot", dot)}></span>
            <span id="online">{ label }</span>
            <span class="pending" id="pending">{ format!("{pending} {}", ctx.t("status.pending")) }</span>
            <span class="muted" id="last-sync">{ format!("{} {last}", ctx.t("status.last_sync")) }</span>
            if !st.refused.is_empty() {
                <button class="link warn" id="refused-toggle" onclick={toggle}>
                    { format!("{} {}", st.refused.len(), ctx.t("status.refused")) }
                </button>
            }
            <span class="grow"></span>
            <button class={classes!("link", (st.unseen_notifications > 0).then_some("bad"))} id="bell"
                onclick={{ let go = ctx.go.clone(); Callback::from(move |_| go.emit(Page::Notifications)) }}>
                { format!("{} {}", ctx.t("notes.bell"), st.unseen_notifications) }
            </button>
            if ctx.backend.is_app() {
                <button id="sync" onclick={on_sync} disabled={*syncing}>
                    { if *syncing { ctx.t("status.syncing") } else { ctx.t("status.sync") } }
                </button>
            }
            <span class="muted">{ format!("{} · {}", ctx.session.user.display_name, crate::label!(ctx.lang, ctx.session.user.role)) }</span>
            if ctx.session.sites.len() > 1 {
                <label class="site-switch">{ ctx.t("site.switch") }
                    <select id="site-switch" onchange={{
                        let switch = ctx.switch_site.clone();
                        Callback::from(move |e: Event| {
                            if let Some(el) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                                switch.emit(el.value());
                            }
                        })
                    }}>
                        { for ctx.session.sites.iter().map(|s| html! {
                            <option value={s.code.clone()} selected={s.code == ctx.session.site.code.as_str()}>
                                { format!("{} · {}", s.name, crate::label!(ctx.lang, s.role)) }
                            </option>
                        }) }
                    </select>
                </label>
            }
            <button class="link" id="lang" onclick={p.on_lang.clone()}>{ ctx.t("lang.switch") }</button>
            <button class="link" id="logout" onclick={p.on_logout.clone()}>{ ctx.t("logout") }</button>
            if st.online == Some(false) {
                <div class="full muted" id="sync-error" title={st.last_error.clone().unwrap_or_default()}>
                    { ctx.t("status.offline_hint") }
                </div>
            }
            if *open {
                <div class="full refused" id="refused">
                    <strong>{ ctx.t("status.refused_title") }</strong>
                    <ul>
                        { for st.refused.iter().map(|r| html! {
                            <li>{ format!("{}: {}", refused_what(&ctx, &r.what), crate::i18n::error_text(ctx.lang, &r.code, &r.message, "")) }</li>
                        }) }
                    </ul>
                </div>
            }
        </header>
    }
}

/// What a refused change was (`document`, or `kind · title`), in the person's language.
fn refused_what(ctx: &Ctx, what: &str) -> String {
    if what == "document" {
        return ctx.t("status.refused_document").to_string();
    }
    match what.split_once(" · ") {
        Some((kind, title)) => match shared::policy::ChangeKind::from_code(kind) {
            Some(k) => format!("{} · {title}", crate::label!(ctx.lang, k)),
            None => what.to_string(),
        },
        None => what.to_string(),
    }
}

#[derive(Properties, PartialEq)]
pub struct NavProps {
    pub page: Page,
}

#[function_component(Nav)]
pub fn nav(p: &NavProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let tab = |page: Page, key: &'static str, id: &'static str| {
        let go = ctx.go.clone();
        let target = page.clone();
        // The issues behind a figure belong to 分析.
        let shown = match &p.page {
            Page::AnalyticsIssues { .. } => Page::Analytics,
            other => other.clone(),
        };
        let active = std::mem::discriminant(&shown) == std::mem::discriminant(&page);
        html! {
            <button id={id} class={classes!("tab", active.then_some("active"))}
                onclick={Callback::from(move |_| go.emit(target.clone()))}>{ ctx.t(key) }</button>
        }
    };
    let issues_label = match ctx.session.user.role {
        shared::Role::FieldStaff => "nav.orders",
        shared::Role::Inspector => "nav.mine_raised",
        _ => "nav.issues",
    };
    // Those who read the site's patrols, coverage and analysis.
    let reviewer =
        shared::policy::permits(ctx.session.user.role, shared::policy::Action::ReadCoverage);
    let manages = matches!(
        ctx.session.user.role,
        shared::Role::Manager | shared::Role::Admin
    );
    html! {
        <nav class="tabs">
            if ctx.session.user.role == shared::Role::Inspector && ctx.backend.is_app() {
                { tab(Page::Tasks, "nav.tasks", "nav-tasks") }
            }
            { tab(Page::Issues, issues_label, "nav-issues") }
            if matches!(ctx.session.user.role, shared::Role::CustomerService | shared::Role::Manager) {
                { tab(Page::Callbacks, "nav.callbacks", "nav-callbacks") }
            }
            if shared::policy::permits(ctx.session.user.role, shared::policy::Action::RecordSurvey) {
                { tab(Page::Surveys, "nav.surveys", "nav-surveys") }
            }
            if reviewer && !ctx.backend.is_app() {
                { tab(Page::Patrols, "nav.patrols", "nav-patrols") }
                { tab(Page::Coverage, "nav.coverage", "nav-coverage") }
            }
            // The analysis is the managers' in the app too (read-only, online).
            if reviewer {
                { tab(Page::Analytics, "nav.analytics", "nav-analytics") }
            }
            if shared::policy::permits(ctx.session.user.role, shared::policy::Action::ReadLedger) && !ctx.backend.is_app() {
                { tab(Page::Ledger, "nav.ledger", "nav-ledger") }
            }
            // The register is read by everyone who reviews the site.
            if reviewer && !ctx.backend.is_app() {
                { tab(Page::Equipment, "nav.equipment", "nav-equipment") }
            }
            if manages && !ctx.backend.is_app() {
                { tab(Page::RootCauses, "nav.rca", "nav-rca") }
                { tab(Page::Plan, "nav.plan", "nav-plan") }
            }
        </nav>
    }
}

#[derive(Properties, PartialEq)]
pub struct PhotoProps {
    pub hash: String,
    #[prop_or(false)]
    pub stamp: bool,
    /// The issue the photo is shown on (its caption gives that issue's time and place).
    #[prop_or_default]
    pub issue: Option<shared::IssueId>,
    #[prop_or_default]
    pub class: Classes,
    /// What the photo shows, for people who cannot see it (现场照片 1 · 王巡查 · 11-20 09:12).
    #[prop_or_default]
    pub alt: AttrValue,
}

/// A photo file loaded through the backend (with the caption when `stamp`).
#[function_component(Photo)]
pub fn photo(p: &PhotoProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let src = use_state(|| None::<Result<String, String>>);
    {
        let (src, backend, lang) = (src.clone(), ctx.backend.clone(), ctx.lang);
        use_effect_with(
            (p.hash.clone(), p.stamp, p.issue),
            move |(hash, stamp, issue)| {
                let (hash, stamp, issue) = (hash.clone(), *stamp, *issue);
                wasm_bindgen_futures::spawn_local(async move {
                    src.set(Some(
                        backend
                            .photo_src(&hash, stamp, issue)
                            .await
                            .map_err(|e| e.text(lang)),
                    ));
                });
            },
        );
    }
    match (*src).clone() {
        Some(Ok(url)) => {
            html! { <img class={p.class.clone()} src={url} alt={p.alt.clone()} data-hash={p.hash.clone()} /> }
        }
        Some(Err(e)) => html! { <span class="photo-missing" title={e.clone()}>{ e }</span> },
        None => html! { <span class="photo-missing">{ ctx.t("loading") }</span> },
    }
}

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub id: AttrValue,
    pub label: &'static str,
    pub photos: Vec<PhotoRef>,
    pub on_change: Callback<Vec<PhotoRef>>,
}

/// A file input (the camera on phones) whose photos go through the device's pipeline.
#[function_component(PhotoPicker)]
pub fn photo_picker(p: &PickerProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let busy = use_state(|| false);
    let onchange = {
        let (ctx, photos, on_change, busy) = (
            ctx.clone(),
            p.photos.clone(),
            p.on_change.clone(),
            busy.clone(),
        );
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(files) = input.files() else { return };
            let files: Vec<web_sys::File> =
                (0..files.length()).filter_map(|i| files.get(i)).collect();
            input.set_value("");
            let (photos, on_change, busy) = (photos.clone(), on_change.clone(), busy.clone());
            let (backend, lang) = (ctx.backend.clone(), ctx.lang);
            busy.set(true);
            let busy2 = busy.clone();
            let notify = ctx.notify.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut added = photos;
                for f in files {
                    let result = match crate::backend::read_file(&f).await {
                        Ok(upload) => backend.add_photo(&upload).await,
                        Err(e) => Err(e),
                    };
                    match result {
                        Ok(p) => added.push(p),
                        Err(e) => notify.emit((true, e.text(lang))),
                    }
                }
                busy2.set(false);
                on_change.emit(added);
            });
            let _ = busy;
        })
    };
    html! {
        <div class="picker">
            <label for={p.id.clone()}>{ ctx.t(p.label) }</label>
            <input type="file" id={p.id.clone()} accept="image/jpeg,image/png" capture="environment"
                multiple=true onchange={onchange} />
            if *busy { <span class="muted">{ ctx.t("loading") }</span> }
            <div class="thumbs" id={format!("{}-thumbs", p.id)}>
                { for p.photos.iter().map(|ph| html! { <Photo hash={ph.thumb.to_string()} class="thumb" /> }) }
            </div>
        </div>
    }
}

/// Fills form fields with their starting values (`(id, value)`) when `key`
/// changes — a form opening, a record loading — and leaves them alone on
/// every other render. A field given `value=` in `html!` is controlled: each
/// re-render (a status update, another field changing) puts that value back
/// and wipes what the person typed.
#[hook]
pub fn use_initial_values<K: PartialEq + Clone + 'static>(key: K, values: Vec<(String, String)>) {
    use_effect_with(key, move |_| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            for (id, v) in &values {
                let Some(el) = doc.get_element_by_id(id) else {
                    continue;
                };
                if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
                    i.set_value(v);
                } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                    t.set_value(v);
                }
            }
        }
    });
}

/// The media type of a downloaded file (`csv`, `pdf`, else `.xlsx`).
pub fn table_mime(format: &str) -> &'static str {
    if format == "csv" {
        "text/csv"
    } else if format == "pdf" {
        "application/pdf"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    }
}

/// Offers `content` (a string or an ArrayBuffer) as a file download named `name`.
pub fn download(name: &str, content: &wasm_bindgen::JsValue, mime: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(content);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "the file cannot be made".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the file cannot be offered".to_string())?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "no link")?
        .dyn_into()
        .map_err(|_| "no link")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
