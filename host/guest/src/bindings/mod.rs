//! Host bindings, one module per version of the `switchyard:call` WIT package
//! the host serves (`wit/v<version>/`). The newest version's types are the
//! host's own; an older version's bindings reuse them wherever the WIT is the
//! same and convert the rest.

pub(crate) mod v0_1;
pub(crate) mod v0_2;

pub use v0_2::exports::switchyard::call::control;
pub use v0_2::switchyard::call::{log, rooms, signaling, types};
