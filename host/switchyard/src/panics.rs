//! Panics as the log and the metrics see them. A panic is a bug: the parts that recover from
//! one (a guest call, a media worker, a control request) carry on, so without this hook it
//! would show only as a line on stderr outside the log's format, and nowhere in the metrics.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::sync::atomic::{AtomicU64, Ordering};

/// Panics since the process started.
static PANICS: AtomicU64 = AtomicU64::new(0);

/// Makes every panic, caught or not, an error in the log (its thread, place and message, and
/// a backtrace when `RUST_BACKTRACE` asks for one) and counts it ([`count`]), in place of the
/// default hook's lines on stderr.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::Relaxed);
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        let place = info.location().map(ToString::to_string).unwrap_or_default();
        let why = message(info.payload());
        let backtrace = Backtrace::capture();
        if backtrace.status() == BacktraceStatus::Captured {
            tracing::error!(thread, place, "panic: {why}\n{backtrace}");
        } else {
            tracing::error!(thread, place, "panic: {why}");
        }
    }));
}

/// Panics since the process started (all of them once [`install_hook`] ran).
pub fn count() -> u64 {
    PANICS.load(Ordering::Relaxed)
}

/// The message a panic was raised with, or `"no message"`.
pub fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_counted_and_its_message_read() {
        let previous = std::panic::take_hook();
        install_hook();
        let before = count();
        let formatted = std::panic::catch_unwind(|| panic!("bug {}", 7)).unwrap_err();
        let plain = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7)).unwrap_err();
        let counted = count() - before;
        std::panic::set_hook(previous);
        // Other tests of this process may panic meanwhile: at least these are counted.
        assert!(counted >= 3, "{counted}");
        assert_eq!(message(formatted.as_ref()), "bug 7");
        assert_eq!(message(plain.as_ref()), "plain");
        assert_eq!(message(other.as_ref()), "no message");
    }
}
