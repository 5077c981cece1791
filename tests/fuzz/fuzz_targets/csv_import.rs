#![no_main]
//! See `patrol_fuzz::csv_import`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = patrol_fuzz::csv_import::run(data);
});
