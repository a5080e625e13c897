//! Any text as a regions table or a breed curve: parse or error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = telur::data::Regions::parse("fuzz.csv", text);
        let _ = telur::data::Breed::parse("fuzz", "fuzz.csv", text);
    }
});
