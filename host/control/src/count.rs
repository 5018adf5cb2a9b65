//! Counts as XML-RPC values, which hold ints of 32 bits at most.

use crate::Value;

/// `n` as a value: an `Int` while it fits 32 bits, past that a `Double`, exact up to 2^53
/// (a count that grows by a million a second takes 285 years to get there). A client then
/// reads a count that keeps growing, where a saturated `Int` would stop at 2147483647.
pub fn count(n: u64) -> Value {
    i32::try_from(n).map_or(Value::Double(n as f64), Value::Int)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_an_int_while_it_fits_and_an_exact_double_past_that() {
        assert_eq!(count(0), Value::Int(0));
        assert_eq!(count(2_147_483_647), Value::Int(i32::MAX));
        assert_eq!(count(2_147_483_648), Value::Double(2_147_483_648.0));
        assert_eq!(count(3_000_000_001), Value::Double(3_000_000_001.0));
        let exact = (1u64 << 53) - 1;
        assert_eq!(count(exact), Value::Double(9_007_199_254_740_991.0));
        assert_eq!(count(1 << 53), Value::Double(9_007_199_254_740_992.0));
    }
}
