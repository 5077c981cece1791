//! See `patrol_fuzz::csv_import`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::csv_import::run(data);
});
