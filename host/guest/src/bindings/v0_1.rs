//! Bindings of the draft `switchyard:call@0.1.0` (`wit/v0.1.0/`, world
//! `app`). Its `types` interface is the same as 0.2.0's and is bound to the
//! 0.2.0 types; the few types the other interfaces declare themselves are
//! converted here.

#![allow(missing_docs)]

use super::v0_2::exports::switchyard::call::control as current_control;
use super::v0_2::switchyard::call as current;

wasmtime::component::bindgen!({
    path: "../../wit/v0.1.0",
    world: "app",
    with: {
        "switchyard:call/types@0.1.0": crate::bindings::v0_2::switchyard::call::types,
    },
});

use exports::switchyard::call::control;
use switchyard::call::{log, rooms, signaling};

/// `From` between two records with the same fields of the same types.
macro_rules! same_fields {
    ($from:path => $to:path { $($field:ident),* }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                Self { $($field: value.$field),* }
            }
        }
    };
}

same_fields!(signaling::Credentials => current::signaling::Credentials { username, password });
same_fields!(rooms::JoinOptions => current::rooms::JoinOptions { number, reason, participant_id });
same_fields!(control::Fault => current_control::Fault { code, message });

impl From<signaling::DialRequest> for current::signaling::DialRequest {
    fn from(r: signaling::DialRequest) -> Self {
        current::signaling::DialRequest {
            uri: r.uri,
            from: r.from,
            to: r.to,
            headers: r.headers,
            credentials: r.credentials.map(Into::into),
            context: r.context,
            room: r.room.map(|(room, options)| (room, options.into())),
        }
    }
}

impl From<log::Level> for current::log::Level {
    fn from(level: log::Level) -> Self {
        match level {
            log::Level::Trace => current::log::Level::Trace,
            log::Level::Debug => current::log::Level::Debug,
            log::Level::Info => current::log::Level::Info,
            log::Level::Warn => current::log::Level::Warn,
            log::Level::Error => current::log::Level::Error,
        }
    }
}
