//! The server's stop signal, watched by what outlives a request: connections, event
//! streams and WebSockets, so that each ends when the server stops rather than when its
//! client leaves.

use tokio::sync::watch;

/// Sets off every [`Stopping`] made with it.
pub(crate) struct Stop(watch::Sender<bool>);

/// Resolves [`Stopping::stopped`] once its [`Stop`] is set off (or dropped).
#[derive(Clone)]
pub(crate) struct Stopping(watch::Receiver<bool>);

/// A stop signal and its watchers' first copy, not yet set off.
pub(crate) fn signal() -> (Stop, Stopping) {
    let (stop, stopping) = watch::channel(false);
    (Stop(stop), Stopping(stopping))
}

impl Stop {
    /// Sets off the signal: every watcher's [`Stopping::stopped`] resolves, now and later.
    pub(crate) fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Stopping {
    /// Resolves once the server stops, or at once if it has; also when the [`Stop`] is gone.
    pub(crate) async fn stopped(&mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn watchers_resolve_once_stopped_whenever_they_start_watching() {
        let (stop, mut early) = signal();
        let mut late = early.clone();
        let waiting = tokio::time::timeout(Duration::from_millis(50), early.stopped()).await;
        assert!(waiting.is_err(), "not stopped yet");
        stop.stop();
        early.stopped().await;
        late.stopped().await;
        late.stopped().await;
        let (stop, mut orphan) = signal();
        drop(stop);
        orphan.stopped().await;
    }
}
