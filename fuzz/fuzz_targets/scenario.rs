//! Any bytes as a scenario file: loading must return a scenario or errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telur::scenario::{Overrides, Scenario, Source};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let source = Source {
            name: "fuzz.toml".into(),
            text: text.into(),
            dir: None,
        };
        if let Ok(s) = Scenario::load(&source, &Overrides::default()) {
            // Whatever validates must also write its resolved form back without panicking.
            let breeds: Vec<String> = s.placements.iter().map(|_| "builtin:layer-brown".into()).collect();
            let names = telur::report::resolved::DataNames {
                regions: "builtin:indonesia",
                breed: "builtin:layer-brown",
                placement_breeds: &breeds,
            };
            let _ = telur::report::resolved::resolved_toml(&s, &names);
        }
    }
});
