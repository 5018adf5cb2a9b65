//! What a test's code logs, as the host's log writes it.

use std::sync::{Arc, Mutex, PoisonError};

/// The log lines written so far.
#[derive(Clone, Default)]
struct LogLines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogLines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What `f` returns, and what it logged on this thread (without colours).
pub(crate) fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    let log = LogLines::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let returned = tracing::subscriber::with_default(subscriber, f);
    let bytes = log.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
    (
        returned,
        String::from_utf8(bytes).expect("the log is UTF-8"),
    )
}
