//! Which way a leg's media flows, as our side of the SDP offer/answer settled it.

/// Our direction for a leg's audio stream, as written in our own SDP (RFC 3264 §5.1, §6.1).
///
/// It covers the whole RTP stream of the `m=` line: audio and RFC 4733 telephone-events alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaDirection {
    /// We send and receive (`a=sendrecv`, also what SDP means when no direction is written).
    SendRecv,
    /// We send; we do not take the peer's audio or telephone-events (`a=sendonly`: we put the
    /// peer on hold, it sends nothing).
    SendOnly,
    /// We take the peer's audio and telephone-events and send no RTP at all (`a=recvonly`: the
    /// peer put us on hold).
    RecvOnly,
    /// Neither way (`a=inactive`).
    Inactive,
}

impl MediaDirection {
    /// Whether the leg sends RTP: `SendRecv` and `SendOnly`.
    pub const fn sends(self) -> bool {
        matches!(self, MediaDirection::SendRecv | MediaDirection::SendOnly)
    }

    /// Whether the leg takes the RTP it receives (audio and telephone-events) and expects any:
    /// `SendRecv` and `RecvOnly`.
    pub const fn receives(self) -> bool {
        matches!(self, MediaDirection::SendRecv | MediaDirection::RecvOnly)
    }

    /// Whether the peer sends RTP all the time, so that its silence means it is gone: only
    /// `SendRecv`. A peer that put us on hold (`RecvOnly`) may send nothing, as phones do with
    /// their music on hold off (RFC 3264 §8.4 only says it sends no media it was not asked
    /// for); whether it is still there is asked by other means.
    pub const fn expects_steady_rtp(self) -> bool {
        matches!(self, MediaDirection::SendRecv)
    }
}

#[cfg(test)]
mod tests {
    use super::MediaDirection::*;

    #[test]
    fn each_direction_sends_and_receives_as_its_name_says() {
        let table = [SendRecv, SendOnly, RecvOnly, Inactive].map(|d| (d.sends(), d.receives()));
        assert_eq!(
            table,
            [(true, true), (true, false), (false, true), (false, false)]
        );
        let steady = [SendRecv, SendOnly, RecvOnly, Inactive].map(|d| d.expects_steady_rtp());
        assert_eq!(
            steady,
            [true, false, false, false],
            "a peer on hold may be silent"
        );
    }
}
