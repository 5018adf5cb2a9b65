//! Host bindings, one module per version of the `switchyard:call` WIT package
//! the host serves (`wit/v<version>/`). The newest version's types are the
//! host's own; an older version's bindings reuse them wherever the WIT is the
//! same and convert the rest.

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

/// In an older version's bindings module: `From` the types its interfaces
/// declare themselves (the same in 0.1.0, 0.2.0 and 0.3.0 as in 0.4.0) to the
/// current ones.
macro_rules! convert_declared_types {
    () => {
        use crate::bindings::v0_4::exports::switchyard::call::control as current_control;
        use crate::bindings::v0_4::switchyard::call as current;
        use exports::switchyard::call::control;
        use switchyard::call::{log, rooms, signaling};

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
    };
}

pub(crate) mod v0_1;
pub(crate) mod v0_2;
pub(crate) mod v0_3;
pub(crate) mod v0_4;

pub use v0_4::exports::switchyard::call::control;
pub use v0_4::switchyard::call::{log, rooms, signaling, types};
