// Starts the UI. Kept out of index.html so the server's Content-Security-Policy
// needs no inline script. scripts/build-ui puts in the content-hashed names.
//
// On the dashboard, someone who is not logged in gets index.html's login form at
// once (a few KB), and the app (JS + wasm, about 420 KB) downloads behind it
// while they type; the app starts when they are in. With a stored login, and in
// the Tauri app, the app starts straight away.
const APP_JS = "./@APP_JS@";
const APP_WASM = "./@APP_WASM@";
const TOKEN_KEY = "patrol.token";
const ACTOR_KEY = "patrol.actor";
const LANG_KEY = "patrol.lang";

// The shell's words, the same as the app's catalogue (app/ui/src/i18n.rs; a
// unit test there keeps the two equal).
const WORDS = {
  "app.title": ["物业品质巡查", "Property patrol inspection"],
  "lang.switch": ["EN", "中文"],
  "login.title": ["登录", "Log in"],
  "login.user": ["用户名", "User name"],
  "login.password": ["密码", "Password"],
  "login.submit": ["登录", "Log in"],
  "loading": ["加载中…", "Loading…"],
};
const ERRORS = {
  bad_credentials: [
    "用户名或密码不对，或账号已停用：请核对后重试",
    "Wrong user name or password, or the account is disabled: check and try again",
  ],
  too_many_attempts: [
    "登录失败次数过多：请 15 分钟后再试，或请管理员重置密码",
    "Too many failed logins: try again in 15 minutes, or ask an admin to reset the password",
  ],
  offline: [
    "连不上服务器：请检查网络后重试",
    "The server cannot be reached: check the network and try again",
  ],
  other: [
    "未能完成：请稍后重试；如仍不行，请联系管理员",
    "Not done: try again later, or ask an admin",
  ],
};

let app = null;
// The app's code, fetched once: the loader module and the wasm response.
function fetchApp() {
  if (!app) {
    app = { js: import(APP_JS), wasm: fetch(APP_WASM) };
  }
  return app;
}
async function startApp() {
  const { js, wasm } = fetchApp();
  const init = (await js).default;
  await init({ module_or_path: wasm });
}
function removeShell() {
  for (const id of ["shell", "booting"]) {
    document.getElementById(id)?.remove();
  }
}
function boot() {
  startApp().then(removeShell, (e) => {
    const booting = document.getElementById("booting");
    if (booting) booting.textContent = String(e);
  });
}

const stored = (k) => {
  try { return localStorage.getItem(k); } catch { return null; }
};
const keep = (k, v) => {
  try { localStorage.setItem(k, v); } catch { /* private mode: not kept */ }
};

if ("__TAURI_INTERNALS__" in window || stored(TOKEN_KEY)) {
  boot();
} else {
  showLogin();
}

function showLogin() {
  let en = stored(LANG_KEY) === "en";
  const shell = document.getElementById("shell");
  const form = document.getElementById("login");
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");
  const say = (pair) => pair[en ? 1 : 0];
  const label = () => {
    document.documentElement.lang = en ? "en" : "zh-CN";
    for (const el of document.querySelectorAll("[data-t]")) {
      el.textContent = say(WORDS[el.dataset.t]);
    }
    if (error.dataset.code) error.textContent = say(ERRORS[error.dataset.code]);
  };
  document.getElementById("lang").addEventListener("click", () => {
    en = !en;
    keep(LANG_KEY, en ? "en" : "zh");
    label();
  });
  const fail = (code) => {
    error.dataset.code = code;
    error.textContent = say(ERRORS[code]);
    error.hidden = false;
    submit.disabled = false;
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const user = form.user.value.trim();
    submit.disabled = true;
    // One actor per person in this browser, as the app keeps it (backend.rs).
    const actorKey = `${ACTOR_KEY}.${user.toLowerCase()}`;
    let actor = stored(actorKey);
    if (!actor) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      actor = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      keep(actorKey, actor);
    }
    let resp;
    try {
      resp = await fetch("/api/v1/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          user,
          password: form.password.value,
          actor,
          device_name: "web dashboard",
        }),
      });
    } catch {
      return fail("offline");
    }
    let body = null;
    try { body = await resp.json(); } catch { /* not JSON: said below */ }
    if (!resp.ok || !body || typeof body.token !== "string") {
      const code = body && body.code;
      if (resp.status === 401 || code === "bad_credentials" || code === "unauthorized") {
        return fail("bad_credentials");
      }
      return fail(code in ERRORS ? code : "other");
    }
    keep(TOKEN_KEY, body.token);
    shell.hidden = true;
    document.getElementById("booting").hidden = false;
    boot();
  });
  label();
  document.getElementById("booting").hidden = true;
  shell.hidden = false;
  submit.disabled = false;
  // The app downloads while the person types: it is ready, or nearly, when they are in.
  if (document.readyState === "complete") {
    fetchApp();
  } else {
    window.addEventListener("load", fetchApp, { once: true });
  }
}
