//! See `patrol_fuzz::sync_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::sync_request::run(data);
});
