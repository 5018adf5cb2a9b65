//! Header field values the endpoint reads as numbers or dates (RFC 3261 §20.16, §20.17,
//! §20.22, §25.1), strictly: rsip reads a CSeq only when it knows its method, and does not
//! check Max-Forwards or Date at all.

/// The value of a Max-Forwards header: 1*DIGIT (leading zeros allowed, RFC 4475 §3.1.1.1) of
/// at most 255 (§20.22); `None` if it is not one.
pub(crate) fn max_forwards(value: &str) -> Option<u8> {
    number(value.trim())?.try_into().ok()
}

/// The sequence number and method of a CSeq value, `1*DIGIT LWS Method`; `None` if it is not
/// one or the number does not fit in 32 bits (§20.16, RFC 4475 §3.1.2.4).
pub(crate) fn cseq(value: &str) -> Option<(u32, &str)> {
    let mut parts = value.split_whitespace();
    let (seq, method, rest) = (parts.next()?, parts.next()?, parts.next());
    let seq = number(seq)?.try_into().ok()?;
    (rest.is_none() && crate::syntax::is_token(method)).then_some((seq, method))
}

/// Whether `value` is a SIP-date (§25.1 rfc1123-date): `wkday "," SP 2DIGIT SP month SP
/// 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"` — always GMT (§20.17, RFC 4475 §3.1.2.12).
pub(crate) fn is_sip_date(value: &str) -> bool {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let one_of = |s: &str, names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(s));
    let Some((weekday, rest)) = value.trim().split_once(", ") else {
        return false;
    };
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, zone] = parts[..] else {
        return false;
    };
    let time: Vec<&str> = time.split(':').collect();
    one_of(weekday, &WEEKDAYS)
        && digits(day, 2)
        && one_of(month, &MONTHS)
        && digits(year, 4)
        && time.len() == 3
        && time.iter().all(|t| digits(t, 2))
        && zone.eq_ignore_ascii_case("GMT")
}

/// `text` as a decimal number if it is 1*DIGIT and fits in 64 bits.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
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
    fn cseq_has_a_32_bit_number_and_a_method_token() {
        assert_eq!(cseq("0009 INVITE"), Some((9, "INVITE")));
        assert_eq!(
            cseq("139122385 !interesting-Method0123456789_*+`.%indeed'~"),
            Some((139_122_385, "!interesting-Method0123456789_*+`.%indeed'~"))
        );
        for value in [
            "36893488147419103232 REGISTER",
            "1",
            "abc OPTIONS",
            "1 INVITE x",
            "-1 BYE",
            "1 B;YE",
        ] {
            assert_eq!(cseq(value), None, "{value:?}");
        }
    }

    #[test]
    fn dates_are_rfc_1123_in_gmt() {
        assert!(is_sip_date("Sat, 15 Oct 2005 04:44:56 GMT"));
        for value in [
            "Fri, 01 Jan 2010 16:00:00 EST",
            "Fri, 1 Jan 2010 16:00:00 GMT",
            "Friday, 01 Jan 2010 16:00:00 GMT",
            "Fri, 01 Jan 2010 16:00 GMT",
            "",
        ] {
            assert!(!is_sip_date(value), "{value:?}");
        }
    }
}
