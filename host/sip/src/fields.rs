//! Header field values the endpoint reads as numbers (RFC 3261 §20.14, §20.16, §20.19,
//! §20.22): rsip reads a CSeq only when it knows its method, and does not check Max-Forwards
//! or Content-Length at all. A Date (§20.17) is not read, so its form is never a reason to
//! refuse a request (RFC 4475 §3.1.2.12).

/// The value of a Max-Forwards header: 1*DIGIT (leading zeros allowed, RFC 4475 §3.1.1.1) of
/// at most 255 (§20.22); `None` if it is not one.
pub(crate) fn max_forwards(value: &str) -> Option<u8> {
    number(value.trim())?.try_into().ok()
}

/// The value of an Expires header in seconds: delta-seconds, 1*DIGIT (§20.19), one above
/// 2^32 - 1 read as 2^32 - 1; `None` if it is no delta-seconds (an RFC 2543 date, garbage),
/// which RFC 4475 §3.1.2.4 lets a receiver ignore rather than refuse.
pub(crate) fn expires(value: &str) -> Option<u32> {
    let value = value.trim();
    // 1*DIGIT fails to parse only by overflow.
    is_digits(value).then(|| value.parse().unwrap_or(u32::MAX))
}

/// The value of a Content-Length header in bytes: 1*DIGIT (§20.14, leading zeros allowed)
/// between optional spaces and tabs; `None` if it is not one, a sign included, or too large
/// to count. The stream framer and the datagram checks read it alike, so that a message is
/// taken or refused the same over either transport.
pub(crate) fn content_length(value: &str) -> Option<usize> {
    number(value.trim_matches([' ', '\t']))?.try_into().ok()
}

/// Why a CSeq value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CSeqError {
    /// It is not `1*DIGIT LWS Method`.
    Malformed,
    /// Its number does not fit in 32 bits (§20.16, RFC 4475 §3.1.2.4).
    OutOfRange,
}

/// The sequence number and method of a CSeq value, `1*DIGIT LWS Method` with a 32-bit
/// number (§20.16). Any such number is taken, 0 included: §8.1.1.5's bound of 2^31 is on a
/// dialog's first request only, and §12.2.1.1 counts on from there.
pub(crate) fn cseq(value: &str) -> Result<(u32, &str), CSeqError> {
    let mut parts = value.split_whitespace();
    let (Some(seq), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CSeqError::Malformed);
    };
    if !is_digits(seq) || !crate::syntax::is_token(method) {
        return Err(CSeqError::Malformed);
    }
    // 1*DIGIT fails to parse only by overflow.
    let seq = seq.parse().map_err(|_| CSeqError::OutOfRange)?;
    Ok((seq, method))
}

/// `text` as a decimal number if it is 1*DIGIT and fits in 64 bits.
fn number(text: &str) -> Option<u64> {
    is_digits(text).then(|| text.parse().ok()).flatten()
}

/// Whether `text` is 1*DIGIT.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_forwards_is_a_byte() {
        for (value, read) in [
            ("70", Some(70)),
            ("0068", Some(68)),
            (" 0 ", Some(0)),
            ("255", Some(255)),
        ] {
            assert_eq!(max_forwards(value), read, "{value:?}");
        }
        for value in [
            "256",
            "300",
            "-1",
            "",
            "7O",
            "1 2",
            "99999999999999999999999",
        ] {
            assert_eq!(max_forwards(value), None, "{value:?}");
        }
    }

    #[test]
    fn content_length_is_digits_only() {
        for (value, read) in [("0", Some(0)), (" 007\t", Some(7)), ("1500", Some(1500))] {
            assert_eq!(content_length(value), read, "{value:?}");
        }
        for value in [
            "+5",
            "-1",
            "",
            "5 5",
            "0x10",
            "5\x0c",
            "99999999999999999999999",
        ] {
            assert_eq!(content_length(value), None, "{value:?}");
        }
    }

    #[test]
    fn cseq_has_a_32_bit_number_and_a_method_token() {
        assert_eq!(cseq("0009 INVITE"), Ok((9, "INVITE")));
        assert_eq!(cseq("0 INVITE"), Ok((0, "INVITE")));
        assert_eq!(cseq("2147483647 BYE"), Ok((2_147_483_647, "BYE")));
        assert_eq!(cseq("2147483648 BYE"), Ok((2_147_483_648, "BYE")));
        assert_eq!(cseq("4294967295 BYE"), Ok((u32::MAX, "BYE")));
        assert_eq!(
            cseq("139122385 !interesting-Method0123456789_*+`.%indeed'~"),
            Ok((139_122_385, "!interesting-Method0123456789_*+`.%indeed'~"))
        );
        for value in ["4294967296 INVITE", "36893488147419103232 REGISTER"] {
            assert_eq!(cseq(value), Err(CSeqError::OutOfRange), "{value:?}");
        }
        for value in [
            "1",
            "abc OPTIONS",
            "1 INVITE x",
            "-1 BYE",
            "1 B;YE",
            "+1 BYE",
        ] {
            assert_eq!(cseq(value), Err(CSeqError::Malformed), "{value:?}");
        }
    }

    #[test]
    fn expires_is_delta_seconds_capped_at_32_bits() {
        for (value, read) in [
            ("0", Some(0)),
            (" 0180 ", Some(180)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", Some(u32::MAX)),
            ("99999999999999999999999", Some(u32::MAX)),
        ] {
            assert_eq!(expires(value), read, "{value:?}");
        }
        let date = "Thu, 01 Dec 1994 16:00:00 GMT";
        for value in ["", "soon", "-1", "1.5", "3600 ;x", date] {
            assert_eq!(expires(value), None, "{value:?}");
        }
    }
}
