//! What one call's flow tells another's (through the host's messages).

/// A message between the flows of two calls of this guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// To the other party of a two-party call: go into this room (the call
    /// was escalated).
    Join(String),
    /// To the inviting participant: the invitee answered.
    Answered,
    /// To the inviting participant: the invitee's call failed, with the
    /// final response's code.
    Failed(u16),
    /// To the participants of a room: a marked user is in it now.
    MarkedJoined,
    /// To the participants of a room: the last marked user left it.
    MarkedLeft,
    /// To a participant: its room was merged into this one.
    Moved(String),
    /// To a participant: an admin muted it (true) or unmuted it; only an
    /// admin may undo it.
    AdminMuted(bool),
    /// To the other party of a two-party call: the two are bridged again
    /// after an escalation that found no room, and the host no longer ends
    /// one's call with the other's.
    Unlinked,
    /// Asks nothing: sent to learn whether a call is still up (the host
    /// refuses to send to a call that is gone). Every flow ignores it.
    Probe,
}

impl Message {
    /// The message as text.
    pub fn encode(&self) -> String {
        match self {
            Message::Join(room) => format!("join {room}"),
            Message::Answered => "answered".to_owned(),
            Message::Failed(code) => format!("failed {code}"),
            Message::MarkedJoined => "marked-joined".to_owned(),
            Message::MarkedLeft => "marked-left".to_owned(),
            Message::Moved(room) => format!("moved {room}"),
            Message::AdminMuted(true) => "admin-muted".to_owned(),
            Message::AdminMuted(false) => "admin-unmuted".to_owned(),
            Message::Unlinked => "unlinked".to_owned(),
            Message::Probe => "probe".to_owned(),
        }
    }

    /// The message of `text`, or `None` for text no flow of this guest sends.
    pub fn decode(text: &str) -> Option<Message> {
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        Some(match (word, rest) {
            ("join", room) if !room.is_empty() => Message::Join(room.to_owned()),
            ("answered", "") => Message::Answered,
            ("failed", code) => Message::Failed(code.parse().ok()?),
            ("marked-joined", "") => Message::MarkedJoined,
            ("marked-left", "") => Message::MarkedLeft,
            ("moved", room) if !room.is_empty() => Message::Moved(room.to_owned()),
            ("admin-muted", "") => Message::AdminMuted(true),
            ("admin-unmuted", "") => Message::AdminMuted(false),
            ("unlinked", "") => Message::Unlinked,
            ("probe", "") => Message::Probe,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_written() {
        let all = [
            Message::Join("9000".into()),
            Message::Answered,
            Message::Failed(486),
            Message::MarkedJoined,
            Message::MarkedLeft,
            Message::Moved("7".into()),
            Message::AdminMuted(true),
            Message::AdminMuted(false),
            Message::Unlinked,
            Message::Probe,
        ];
        for message in all {
            assert_eq!(Message::decode(&message.encode()), Some(message));
        }
    }

    #[test]
    fn other_text_is_no_message() {
        for text in ["", "join", "join ", "failed x", "answered now", "hello"] {
            assert_eq!(Message::decode(text), None, "{text:?}");
        }
    }
}
