//! The o= line of our SDP across one call's offers and answers (RFC 3264 §8).

/// Our SDP's origin in one call. RFC 3264 §8 wants every new description we send to keep the
/// o= line of the first one but for a version one higher than the previous; the application
/// writes each SDP afresh (e.g. with [`sdp::answer`](crate::sdp::answer)), so the endpoint
/// rewrites the o= line of each one it sends.
#[derive(Debug, Default)]
pub(crate) struct Origin {
    /// The first o= line's fields before the version (username, sess-id), after it
    /// (nettype, addrtype, address), and the version last sent.
    sent: Option<(String, u64, String)>,
}

impl Origin {
    /// `sdp` as it must be sent: the first description passes unchanged and fixes the
    /// origin; each later one gets the first o= line with the previous version plus one.
    /// A description without a readable o= line passes unchanged.
    pub(crate) fn stamp(&mut self, sdp: &str) -> String {
        let Some((start, end, fields)) = find_origin(sdp) else {
            return sdp.to_owned();
        };
        let (head, version, tail) = match self.sent.take() {
            None => fields,
            Some((head, version, tail)) => (head, version.wrapping_add(1), tail),
        };
        let line = format!("o={head} {version} {tail}");
        self.sent = Some((head, version, tail));
        format!("{}{line}{}", &sdp[..start], &sdp[end..])
    }

    /// `sdp`, stamped and sent before, as it must be sent again: unchanged while it is the
    /// last description sent, stamped anew when another has been sent since, so that the
    /// version never goes back.
    pub(crate) fn restamp(&mut self, sdp: &str) -> String {
        let sent_last = match (find_origin(sdp), &self.sent) {
            (Some((_, _, (_, version, _))), Some((_, last, _))) => version == *last,
            _ => true,
        };
        if sent_last {
            sdp.to_owned()
        } else {
            self.stamp(sdp)
        }
    }
}

/// The byte range of the o= line's text (without its line end) and its fields.
fn find_origin(sdp: &str) -> Option<(usize, usize, (String, u64, String))> {
    let mut offset = 0;
    for line in sdp.split_inclusive('\n') {
        let text = line.trim_end_matches(['\r', '\n']);
        if let Some(value) = text.strip_prefix("o=") {
            let fields: Vec<&str> = value.split_whitespace().collect();
            let [user, id, version, rest @ ..] = fields.as_slice() else {
                return None;
            };
            let version = version.parse().ok()?;
            return Some((
                offset,
                offset + text.len(),
                (format!("{user} {id}"), version, rest.join(" ")),
            ));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_descriptions_keep_the_first_origin_with_rising_versions() {
        let mut origin = Origin::default();
        let first = "v=0\r\no=switchyard 42 42 IN IP4 192.0.2.1\r\ns=x\r\n";
        assert_eq!(origin.stamp(first), first);
        let second = origin.stamp("v=0\r\no=other 7 7 IN IP4 192.0.2.9\r\ns=y\r\n");
        assert_eq!(
            second,
            "v=0\r\no=switchyard 42 43 IN IP4 192.0.2.1\r\ns=y\r\n"
        );
        let third = origin.stamp("v=0\no=switchyard 42 42 IN IP4 192.0.2.1\ns=z\n");
        assert_eq!(third, "v=0\no=switchyard 42 44 IN IP4 192.0.2.1\ns=z\n");
        assert_eq!(origin.stamp("v=0\r\ns=none\r\n"), "v=0\r\ns=none\r\n");
    }

    #[test]
    fn a_description_sent_again_keeps_its_version_only_while_it_is_the_last_sent() {
        let mut origin = Origin::default();
        let ours = origin.stamp("v=0\r\no=switchyard 42 42 IN IP4 192.0.2.1\r\ns=hold\r\n");
        assert_eq!(origin.restamp(&ours), ours, "nothing sent since");
        // An answer to the peer's offer went out in between (v43): ours follows it.
        origin.stamp("v=0\r\no=switchyard 42 42 IN IP4 192.0.2.1\r\ns=answer\r\n");
        assert_eq!(
            origin.restamp(&ours),
            "v=0\r\no=switchyard 42 44 IN IP4 192.0.2.1\r\ns=hold\r\n"
        );
    }
}
