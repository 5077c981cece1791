// Starts the UI. Kept out of index.html so the server's Content-Security-Policy
// needs no inline script.
import init from "./app.js";
init();
