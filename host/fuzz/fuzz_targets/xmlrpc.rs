//! XML-RPC bodies: a `methodCall` (what clients send) and a `methodResponse` (what the
//! host reads back from `switchyard ctl` and its tests).
//!
//! A call that parses, encoded again, parses to the same method and parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_control::xmlrpc;

fuzz_target!(|data: &[u8]| {
    if let Ok((method, params)) = xmlrpc::parse_method_call(data) {
        let encoded = xmlrpc::encode_method_call(&method, &params);
        let (method2, params2) = xmlrpc::parse_method_call(encoded.as_bytes())
            .unwrap_or_else(|f| panic!("our encoding does not parse ({f:?}):\n{encoded}"));
        assert_eq!(method, method2);
        // Debug, so that a NaN double compares equal to itself.
        assert_eq!(format!("{params:?}"), format!("{params2:?}"), "{encoded}");
    }
    if let Ok(result) = xmlrpc::parse_method_response(data) {
        let encoded = xmlrpc::encode_response(&result);
        let again = xmlrpc::parse_method_response(encoded.as_bytes())
            .unwrap_or_else(|f| panic!("our response does not parse ({f:?}):\n{encoded}"));
        assert_eq!(format!("{result:?}"), format!("{again:?}"), "{encoded}");
    }
});
