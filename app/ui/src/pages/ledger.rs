//! 台账: the site's ledger of accepted changes. Download the entries received
//! in a range of days (Excel or CSV, with the hash chain), and have the server
//! recompute the chain: whole with its head, or the first entry that does not
//! match.

use crate::components::field;
use crate::{Ctx, run};
use shared::wire::LedgerVerification;
use yew::prelude::*;

#[function_component(LedgerPage)]
pub fn ledger_page() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let checked = use_state(|| None::<LedgerVerification>);
    let today = crate::i18n::local_date(crate::i18n::now(), ctx.offset());
    crate::components::use_initial_values(
        (),
        vec![
            ("ledger-from".into(), format!("{}-01", &today[..7])),
            ("ledger-to".into(), today.clone()),
        ],
    );
    let download = |format: &'static str, text: &'static str| {
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_| {
            let (from, to) = (field("ledger-from"), field("ledger-to"));
            let name = format!("{}-ledger-{from}-{to}.{format}", ctx.session.site.code);
            let b = ctx.backend.clone();
            run(
                &ctx,
                async move { b.ledger_file(&from, &to, format).await },
                move |buf| {
                    let mime = crate::components::table_mime(format);
                    let _ = crate::components::download(&name, &buf, mime);
                },
            );
        });
        html! { <button type="button" id={format!("ledger-{format}")} {onclick}>{ text }</button> }
    };
    let verify = {
        let (ctx, checked) = (ctx.clone(), checked.clone());
        Callback::from(move |_| {
            let b = ctx.backend.clone();
            let checked = checked.clone();
            run(&ctx, async move { b.ledger_verify().await }, move |v| {
                checked.set(Some(v))
            });
        })
    };
    let zh = ctx.lang == crate::i18n::Lang::Zh;
    html! {
        <section id="ledger">
            <h1>{ ctx.t("ledger.title") }</h1>
            <p class="muted">{ ctx.t("ledger.intro") }</p>
            <div class="card">
                <strong>{ ctx.t("ledger.export") }</strong>
                <div class="row">
                    <label>{ ctx.t("coverage.from") }<input type="date" id="ledger-from" /></label>
                    <label>{ ctx.t("coverage.to") }<input type="date" id="ledger-to" /></label>
                    { download("xlsx", "Excel") }
                    { download("csv", "CSV") }
                </div>
            </div>
            <div class="card">
                <button type="button" id="ledger-verify" onclick={verify}>{ ctx.t("ledger.verify") }</button>
                if let Some(v) = &*checked {
                    if v.whole {
                        <p class="ok" id="ledger-result" role="status">
                            { format!("{}：{} {}", ctx.t("ledger.whole"), v.entries, ctx.t("ledger.entries")) }
                            <br />
                            <span class="muted">{ format!("{} {}", ctx.t("ledger.head"), v.head) }</span>
                        </p>
                    } else {
                        <p class="error" id="ledger-result" role="alert">
                            { if zh { v.reason_zh.clone() } else { v.reason.clone() }.unwrap_or_default() }
                        </p>
                    }
                }
            </div>
        </section>
    }
}
