//! See `patrol_fuzz::photo_pipeline`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::photo_pipeline::run(data);
});
