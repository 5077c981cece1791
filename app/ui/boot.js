// Starts the UI. Kept out of index.html so the server's Content-Security-Policy
// needs no inline script. scripts/build-ui puts in the content-hashed names.
import init from "./@APP_JS@";
init({ module_or_path: "./@APP_WASM@" });
