#![no_main]
//! See `patrol_fuzz::issue_document`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::issue_document::run(data);
});
