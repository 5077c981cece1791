#![no_main]
//! See `patrol_fuzz::photo_pipeline`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::photo_pipeline::run(data);
});
