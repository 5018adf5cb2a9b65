//! Why this guest placed a call: the context of its dial request, read back
//! when the placed call's own flow starts.

/// A call this guest placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// The callee of a two-party call (forwarded from `caller`).
    Party {
        /// The incoming call.
        caller: String,
        /// The caller's number (its From user).
        caller_number: String,
        /// The number the caller dialled.
        callee_number: String,
    },
    /// Someone invited into `room` by the participant `holder`.
    Invitee {
        /// The inviting participant's call.
        holder: String,
        /// The room the invitee joins.
        room: String,
        /// The number dialled.
        number: String,
    },
}

impl Placed {
    /// The context text of the dial request.
    pub fn encode(&self) -> String {
        match self {
            Placed::Party {
                caller,
                caller_number,
                callee_number,
            } => format!("party\n{caller}\n{caller_number}\n{callee_number}"),
            Placed::Invitee {
                holder,
                room,
                number,
            } => format!("invitee\n{holder}\n{room}\n{number}"),
        }
    }

    /// The placed call of `context`, or `None` for a context this guest
    /// never writes.
    pub fn decode(context: &str) -> Option<Placed> {
        let fields: Vec<&str> = context.split('\n').collect();
        match fields.as_slice() {
            ["party", caller, caller_number, callee_number] => Some(Placed::Party {
                caller: (*caller).to_owned(),
                caller_number: (*caller_number).to_owned(),
                callee_number: (*callee_number).to_owned(),
            }),
            ["invitee", holder, room, number] => Some(Placed::Invitee {
                holder: (*holder).to_owned(),
                room: (*room).to_owned(),
                number: (*number).to_owned(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_read_back_as_written() {
        let all = [
            Placed::Party {
                caller: "c1".into(),
                caller_number: "100".into(),
                callee_number: "102".into(),
            },
            Placed::Invitee {
                holder: "c3".into(),
                room: "9000".into(),
                number: "".into(),
            },
        ];
        for placed in all {
            assert_eq!(Placed::decode(&placed.encode()), Some(placed));
        }
        assert_eq!(Placed::decode("party\nc1"), None);
        assert_eq!(Placed::decode(""), None);
    }
}
