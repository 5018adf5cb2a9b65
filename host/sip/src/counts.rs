//! Counts of SIP traffic by kind: requests received by method, responses sent by status class.

use crate::method::Method;

/// Requests received, retransmissions included, counted by method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// INVITE.
    pub invite: u64,
    /// ACK.
    pub ack: u64,
    /// BYE.
    pub bye: u64,
    /// CANCEL.
    pub cancel: u64,
    /// OPTIONS.
    pub options: u64,
    /// UPDATE.
    pub update: u64,
    /// INFO.
    pub info: u64,
    /// PRACK.
    pub prack: u64,
    /// Any other method, extension methods included.
    pub other: u64,
}

impl RequestCounts {
    /// Counts one request of `method`.
    pub(crate) fn count(&mut self, method: Method) {
        let counter = match method {
            Method::INVITE => &mut self.invite,
            Method::ACK => &mut self.ack,
            Method::BYE => &mut self.bye,
            Method::CANCEL => &mut self.cancel,
            Method::OPTIONS => &mut self.options,
            Method::UPDATE => &mut self.update,
            Method::INFO => &mut self.info,
            Method::PRACK => &mut self.prack,
            _ => &mut self.other,
        };
        *counter += 1;
    }

    /// Each count with its method's name (`other` for the rest).
    pub fn by_method(&self) -> [(&'static str, u64); 9] {
        [
            ("INVITE", self.invite),
            ("ACK", self.ack),
            ("BYE", self.bye),
            ("CANCEL", self.cancel),
            ("OPTIONS", self.options),
            ("UPDATE", self.update),
            ("INFO", self.info),
            ("PRACK", self.prack),
            ("other", self.other),
        ]
    }
}

/// Responses sent for the first time (not retransmissions), counted by status class:
/// `classes[0]` counts 1xx, …, `classes[5]` 6xx.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseCounts {
    /// The counts, 1xx first.
    pub classes: [u64; 6],
}

impl ResponseCounts {
    /// Counts `message` if it is a response (its start line is `SIP/2.0 <code> …`).
    pub(crate) fn count(&mut self, message: &[u8]) {
        if let Some(&digit) = message.strip_prefix(b"SIP/2.0 ").and_then(<[u8]>::first)
            && (b'1'..=b'6').contains(&digit)
        {
            self.classes[usize::from(digit - b'1')] += 1;
        }
    }

    /// Counts `count` responses with status `code`, one of 100..=699.
    pub(crate) fn add(&mut self, code: u16, count: u64) {
        self.classes[usize::from(code / 100 - 1)] += count;
    }

    /// Each count with its class's name (`1xx` … `6xx`).
    pub fn by_class(&self) -> [(&'static str, u64); 6] {
        let names = ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"];
        std::array::from_fn(|i| (names[i], self.classes[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_count_by_method() {
        let mut counts = RequestCounts::default();
        for token in [
            "INVITE",
            "ACK",
            "INVITE",
            "FROBNICATE",
            "invite",
            "INFO",
            "PRACK",
        ] {
            counts.count(Method::from_token(token));
        }
        assert_eq!(counts.by_method()[0], ("INVITE", 2));
        assert_eq!(counts.by_method()[1], ("ACK", 1));
        assert_eq!(counts.by_method()[6], ("INFO", 1));
        assert_eq!(counts.by_method()[7], ("PRACK", 1));
        assert_eq!(counts.by_method()[8], ("other", 2));
    }

    #[test]
    fn responses_count_by_class_and_requests_not_at_all() {
        let mut counts = ResponseCounts::default();
        for message in [
            &b"SIP/2.0 180 Ringing\r\n"[..],
            b"SIP/2.0 200 OK\r\n",
            b"SIP/2.0 603 Decline\r\n",
            b"INVITE sip:a@b SIP/2.0\r\n",
            b"SIP/2.0 ",
        ] {
            counts.count(message);
        }
        assert_eq!(counts.classes, [1, 1, 0, 0, 0, 1]);
        assert_eq!(counts.by_class()[5], ("6xx", 1));
    }
}
