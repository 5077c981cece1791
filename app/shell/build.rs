//! Tauri's build step. `generate_context!` embeds the UI from `../ui/dist`; on a
//! fresh clone that folder does not exist until `scripts/build-ui` runs, so a
//! page saying exactly that is put there instead of failing the build.

fn main() {
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("create ../ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>巡查</title>\
             <p>The UI has not been built. Run <code>scripts/build-ui</code>, then build the app again.</p>",
        )
        .expect("write ../ui/dist/index.html");
    }
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build()
}
