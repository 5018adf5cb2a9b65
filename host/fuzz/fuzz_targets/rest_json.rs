//! REST requests: a first line `VERB path`, then the JSON body.
//!
//! The route lookup and the body's decoding never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_control::rest;

fuzz_target!(|data: &[u8]| {
    let (line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[][..]),
    };
    let line = String::from_utf8_lossy(line);
    let (verb, path) = line.split_once(' ').unwrap_or(("GET", &line));
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    if let Ok((route, args)) = rest::find(verb, path) {
        let body = if rest::takes_body(route) {
            parsed.as_ref()
        } else {
            None
        };
        let _ = rest::call(route, &args, body);
    }
});
