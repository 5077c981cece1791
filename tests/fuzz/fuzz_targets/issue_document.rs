//! See `patrol_fuzz::issue_document`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::issue_document::run(data);
});
