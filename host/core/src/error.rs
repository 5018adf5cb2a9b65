//! Why a command was refused.

use thiserror::Error;

/// Why a command to the core was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// The call does not exist (any more).
    #[error("no such call")]
    NoSuchCall,
    /// The room does not exist.
    #[error("no such room")]
    NoSuchRoom,
    /// The call is not in a state that allows this; the text says why.
    #[error("{0}")]
    WrongState(String),
    /// An argument is not acceptable; the text says which and why.
    #[error("{0}")]
    InvalidArgument(String),
    /// The host has too much waiting to take this now; the call's state allows it, and
    /// the same command may succeed once the host has caught up. The text says what is
    /// busy; shown, it starts `busy: `, as the control plane's busy faults do.
    #[error("busy: {0}")]
    Busy(String),
}

impl CoreError {
    pub(crate) fn state(message: impl Into<String>) -> CoreError {
        CoreError::WrongState(message.into())
    }

    /// `Ok` if `text` is at most `most` bytes; else the refusal naming it as `what`
    /// ("dial URI is 2054 bytes, more than 2048").
    pub(crate) fn unless_longer(what: &str, text: &str, most: usize) -> Result<(), CoreError> {
        if text.len() > most {
            return Err(CoreError::InvalidArgument(format!(
                "{what} is {} bytes, more than {most}",
                text.len()
            )));
        }
        Ok(())
    }
}
