//! The parts the server cannot serve without — the guest threads, the media threads, the
//! control endpoint, the stats and room state files — report their end. One that ends while
//! the server runs (a panic its own recovery did not catch: a bug) makes the server shut down
//! in order and exit non-zero, so that its supervisor starts it afresh, rather than run on
//! half-alive, answering SIP while no guest runs, say.

use std::future::Future;

use tokio::sync::mpsc;

/// Where vital parts report their end: give each part a [`VitalGuard`] to hold while it runs.
#[derive(Clone, Debug)]
pub struct Vitals {
    ended: mpsc::UnboundedSender<String>,
}

/// The ends reported, read by whoever stops the server.
#[derive(Debug)]
pub struct VitalEnds {
    ended: mpsc::UnboundedReceiver<String>,
}

/// Reports its part's end when dropped, by a return or by a panic unwinding through its
/// holder. Each reports once, and the parts are few and fixed, so the reports are bounded.
#[derive(Debug)]
pub struct VitalGuard {
    part: String,
    ended: mpsc::UnboundedSender<String>,
}

/// A channel of vital parts' ends.
pub fn vitals() -> (Vitals, VitalEnds) {
    let (ended, reported) = mpsc::unbounded_channel();
    (Vitals { ended }, VitalEnds { ended: reported })
}

impl Vitals {
    /// The guard of `part` ("guest thread 3"), to hold for as long as it runs.
    pub fn guard(&self, part: impl Into<String>) -> VitalGuard {
        VitalGuard {
            part: part.into(),
            ended: self.ended.clone(),
        }
    }

    /// `future`, as a vital part named `part`: its end is reported, whether it returns, panics
    /// or is dropped.
    pub fn watch<F: Future>(
        &self,
        part: &'static str,
        future: F,
    ) -> impl Future<Output = F::Output> + use<F> {
        let guard = self.guard(part);
        async move {
            let _guard = guard;
            future.await
        }
    }
}

impl Drop for VitalGuard {
    fn drop(&mut self) {
        let _ = self.ended.send(std::mem::take(&mut self.part));
    }
}

impl VitalEnds {
    /// The next part to end; never resolves once no part can report any more.
    pub async fn next(&mut self) -> String {
        match self.ended.recv().await {
            Some(part) => part,
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_part_reports_its_end_however_it_ends() {
        let (vitals, mut ends) = vitals();
        drop(vitals.guard("returned"));
        assert_eq!(ends.next().await, "returned");
        let panicked = std::thread::spawn({
            let guard = vitals.guard("guest thread 0");
            move || {
                let _guard = guard;
                panic!("a bug");
            }
        });
        assert!(panicked.join().is_err());
        assert_eq!(ends.next().await, "guest thread 0");
        let task =
            tokio::spawn(vitals.watch("control endpoint", async { panic!("a bug in a task") }));
        assert!(task.await.unwrap_err().is_panic());
        assert_eq!(ends.next().await, "control endpoint");
        let running = vitals.guard("stats file");
        drop(vitals);
        let nothing = tokio::time::timeout(Duration::from_millis(50), ends.next()).await;
        assert!(nothing.is_err(), "the stats file runs on");
        drop(running);
        assert_eq!(ends.next().await, "stats file");
        let nothing = tokio::time::timeout(Duration::from_millis(50), ends.next()).await;
        assert!(nothing.is_err(), "no part is left to report");
    }
}
