//! How many requests read from a connection still owe their final response, which goes back
//! on that connection (RFC 3261 §18.2.2): once none does, a connection its peer closed has
//! nothing left to write. Sans-IO: the connection's task shows it each message read and
//! written.

/// Requests read less final responses written, on one connection.
#[derive(Debug, Default)]
pub(crate) struct Owed(usize);

impl Owed {
    /// A message was read: a request other than ACK (§17.1.1.3: an ACK gets no response) is
    /// owed a final response.
    pub(crate) fn read(&mut self, message: &[u8]) {
        if !is_response(message) && !message.starts_with(b"ACK ") {
            self.0 += 1;
        }
    }

    /// A message was written: a final response (200-699) settles one request.
    pub(crate) fn written(&mut self, message: &[u8]) {
        let status = message.get(b"SIP/2.0 ".len()).copied();
        if is_response(message) && status.is_some_and(|digit| (b'2'..=b'6').contains(&digit)) {
            self.0 = self.0.saturating_sub(1);
        }
    }

    /// Whether every request read has had its final response written.
    pub(crate) fn settled(&self) -> bool {
        self.0 == 0
    }
}

/// Whether `message` is a response: its start line begins with the SIP version (§7.2), whose
/// name is case-insensitive (§7.1).
fn is_response(message: &[u8]) -> bool {
    message
        .get(..4)
        .is_some_and(|start| start.eq_ignore_ascii_case(b"SIP/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_but_ack_is_settled_by_one_final_response() {
        let mut owed = Owed::default();
        owed.read(b"INVITE sip:a@example.com SIP/2.0\r\n");
        owed.read(b"OPTIONS sip:a@example.com SIP/2.0\r\n");
        owed.read(b"ACK sip:a@example.com SIP/2.0\r\n");
        owed.read(b"SIP/2.0 200 OK\r\n");
        owed.written(b"SIP/2.0 100 Trying\r\n");
        owed.written(b"SIP/2.0 180 Ringing\r\n");
        owed.written(b"BYE sip:b@example.com SIP/2.0\r\n");
        owed.written(b"SIP/2.0 200 OK\r\n");
        assert!(!owed.settled(), "one of two answered");
        owed.written(b"SIP/2.0 486 Busy Here\r\n");
        assert!(owed.settled());
        owed.written(b"SIP/2.0 200 OK\r\n");
        assert!(owed.settled(), "a surplus response owes nothing back");
        owed.read(b"BYE sip:a@example.com SIP/2.0\r\n");
        assert!(!owed.settled(), "nor does it settle what comes next");
    }
}
