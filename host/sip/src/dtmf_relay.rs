//! The `application/dtmf-relay` body of INFO requests that carry DTMF out of band:
//! `Signal=5` and `Duration=160` lines (the de facto format of Cisco and most SIP phones).

/// The Content-Type of the body.
pub(crate) const DTMF_RELAY: &str = "application/dtmf-relay";

/// One key press: the digit (`0`-`9`, `*`, `#`, `A`-`D`) and its duration in ms (0 when
/// the body gives none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) digit: char,
    pub(crate) duration_ms: u32,
}

/// The key press a dtmf-relay body describes; `None` if it names no valid signal or its
/// duration is not a number. Event numbers 10 and 11 stand for `*` and `#` (RFC 4733 §3.2),
/// as some phones send them.
pub(crate) fn parse(body: &[u8]) -> Option<Key> {
    let text = std::str::from_utf8(body).ok()?;
    let mut digit = None;
    let mut duration_ms = 0;
    for line in text.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            n if n.eq_ignore_ascii_case("Signal") => digit = Some(signal(value)?),
            n if n.eq_ignore_ascii_case("Duration") => duration_ms = value.parse().ok()?,
            _ => {}
        }
    }
    digit.map(|digit| Key { digit, duration_ms })
}

fn signal(value: &str) -> Option<char> {
    match value {
        "10" => return Some('*'),
        "11" => return Some('#'),
        _ => {}
    }
    let mut chars = value.chars();
    let c = chars.next()?.to_ascii_uppercase();
    (chars.next().is_none() && matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_signal_and_duration() {
        assert_eq!(
            parse(b"Signal=5\r\nDuration=160\r\n"),
            Some(Key {
                digit: '5',
                duration_ms: 160
            })
        );
        assert_eq!(
            parse(b"signal= #\nduration = 250"),
            Some(Key {
                digit: '#',
                duration_ms: 250
            })
        );
        assert_eq!(parse(b"Signal=10").map(|k| k.digit), Some('*'));
        assert_eq!(
            parse(b"Signal=d").map(|k| (k.digit, k.duration_ms)),
            Some(('D', 0))
        );
    }

    #[test]
    fn rejects_bad_bodies() {
        for body in [
            &b"Duration=160"[..],
            b"Signal=E",
            b"Signal=55",
            b"Signal=1\nDuration=x",
            b"\xff",
        ] {
            assert_eq!(parse(body), None, "{body:?}");
        }
    }
}
