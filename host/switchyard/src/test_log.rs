//! What a test's code logs, as the host's log writes it.
//!
//! The capture is the process's subscriber, installed once, and keeps what each
//! thread logs while that thread captures. A subscriber set for one thread only
//! would share tracing's process-wide interest in each place that logs with the
//! other tests' threads: a filter reloaded on a thread without it rebuilds that
//! interest from that thread's view alone, and can mark a place "never" for the
//! thread that captures.

use std::cell::RefCell;
use std::sync::Once;

thread_local! {
    /// What this thread logged since it began capturing; `None` when it is not.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// The log's writer: into the capture of the thread it writes on, if that
/// thread captures; nowhere otherwise.
struct ThisThread;

impl std::io::Write for ThisThread {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|captured| {
            if let Some(log) = captured.borrow_mut().as_mut() {
                log.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Makes the capturing subscriber the process's, once; returns when it is.
///
/// A test that reloads a log filter calls it first, so that tracing's rebuild
/// of its interest in each place that logs asks the capture too.
pub(crate) fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(|| ThisThread)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber is set in this test binary");
    });
}

/// What `f` returns, and what it logged on this thread (without colours).
pub(crate) fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    install();
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
    let returned = f();
    let bytes = CAPTURED.with(|captured| captured.borrow_mut().take().unwrap_or_default());
    (
        returned,
        String::from_utf8(bytes).expect("the log is UTF-8"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::{Registry, reload};

    /// One place that logs, so that each call shares its interest.
    fn note(text: &str) {
        tracing::info!("{text}");
    }

    /// Reloads a filter that no subscriber holds, as a test of the filter does.
    fn reload_a_filter() {
        let (_layer, handle) = reload::Layer::<LevelFilter, Registry>::new(LevelFilter::INFO);
        handle.reload(LevelFilter::ERROR).unwrap();
    }

    #[test]
    fn a_filter_reloaded_on_another_thread_leaves_a_capture_whole() {
        let ((), log) = logged(|| {
            note("before the reload");
            std::thread::spawn(reload_a_filter).join().unwrap();
            note("after the reload");
        });
        assert!(log.contains("INFO"), "{log}");
        assert!(log.contains("before the reload"), "{log}");
        assert!(log.contains("after the reload"), "{log}");
    }

    #[test]
    fn only_the_capturing_thread_s_events_are_kept() {
        let ((), log) = logged(|| {
            note("on the capturing thread");
            std::thread::spawn(|| note("on another thread"))
                .join()
                .unwrap();
        });
        assert!(log.contains("on the capturing thread"), "{log}");
        assert!(!log.contains("on another thread"), "{log}");
    }
}
