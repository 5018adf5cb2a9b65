//! The configuration loader, on any text.
//!
//! A file it refuses gets an error naming the file (and, where the problem has
//! one, the line and key); one it takes yields its routing rules and limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use switchyard::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Config::parse(Path::new("fuzz.toml"), &text) {
        Ok(config) => {
            let _ = config.call_routes();
            let _ = config.runtime_limits();
            for name in config.guests.keys() {
                let _ = config.guest_limits(name);
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.starts_with("fuzz.toml"), "{message}");
        }
    }
});
