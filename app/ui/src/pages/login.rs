//! Logging in: the server's address (in the app), user name and password,
//! and in the app the site to work at for a person with roles at several.

use crate::backend::Backend;
use crate::components::field;
use crate::i18n::{Lang, tr};
use shared::app::SessionInfo;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoginProps {
    pub backend: Backend,
    pub lang: Lang,
    pub on_login: Callback<SessionInfo>,
}

#[function_component(Login)]
pub fn login(p: &LoginProps) -> Html {
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    crate::components::use_initial_values(
        (),
        vec![("server".into(), "http://127.0.0.1:8080".into())],
    );
    let lang = p.lang;
    let onsubmit = {
        let (backend, on_login, error, busy) = (
            p.backend.clone(),
            p.on_login.clone(),
            error.clone(),
            busy.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (backend, on_login, error, busy) = (
                backend.clone(),
                on_login.clone(),
                error.clone(),
                busy.clone(),
            );
            let server = field("server");
            let user = field("user");
            let password = field("password");
            let site = field("site");
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match backend
                    .login(server.trim(), user.trim(), &password, &site)
                    .await
                {
                    Ok(s) => on_login.emit(s),
                    Err(e) => error.set(Some(e.text(lang))),
                }
                busy.set(false);
            });
        })
    };
    let t = |k| tr(p.lang, k);
    html! {
        <main class="narrow">
            <h1>{ t("login.title") }</h1>
            <form {onsubmit} id="login">
                if p.backend.is_app() {
                    <label>{ t("login.server") }
                        <input id="server" type="url" inputmode="url" required=true />
                    </label>
                }
                <label>{ t("login.user") }<input id="user" autocomplete="username" required=true /></label>
                <label>{ t("login.password") }<input id="password" type="password" autocomplete="current-password" required=true /></label>
                // A device works at one site: the home site, or another the person names.
                if p.backend.is_app() {
                    <label>{ t("login.site") }
                        <input id="site" autocapitalize="characters" autocomplete="off" />
                        <span class="muted hint">{ t("login.site_hint") }</span>
                    </label>
                }
                if let Some(e) = (*error).clone() { <p class="error" id="login-error" role="alert">{ e }</p> }
                <button type="submit" class="primary" id="login-submit" disabled={*busy}>{ t("login.submit") }</button>
            </form>
        </main>
    }
}
