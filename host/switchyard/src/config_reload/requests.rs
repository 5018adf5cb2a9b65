//! Reloads asked for, served one at a time in the order asked: by SIGHUP, whose outcome goes
//! to the log only, and by `configReload()`, which is answered with it.

use super::report::Outcome;
use switchyard_control::{Fault, Value};
use tokio::sync::{mpsc, oneshot};
use tracing::info;

/// The most reloads waiting for their turn. A SIGHUP past them adds none: the last of them
/// reads the file after the signal, as its own reload would.
const QUEUED: usize = 8;

/// The fault code of a reload asked for while the server stops (HTTP's 503, which REST
/// answers): it has nothing left to apply a change to.
const STOPPING: i32 = 503;

/// Who asked for a reload.
#[derive(Debug)]
pub enum Asker {
    /// SIGHUP: the outcome goes to the log only.
    Signal,
    /// `configReload()`: the outcome goes to it too.
    Control(oneshot::Sender<Outcome>),
}

impl Asker {
    /// How the log names it.
    pub fn name(&self) -> &'static str {
        match self {
            Asker::Signal => "SIGHUP",
            Asker::Control(_) => "configReload",
        }
    }

    /// Gives `outcome` to whoever waits for it; one who has gone (a request dropped) had the
    /// reload all the same.
    pub fn answer(self, outcome: Outcome) {
        if let Asker::Control(reply) = self {
            let _ = reply.send(outcome);
        }
    }
}

/// Where reloads are asked for; its clones ask the same reload task.
#[derive(Debug, Clone)]
pub struct ReloadAsker {
    requests: mpsc::Sender<Asker>,
}

/// The reloads asked for, in the order asked, for the reload task.
#[derive(Debug)]
pub struct ReloadQueue {
    requests: mpsc::Receiver<Asker>,
}

/// A reload task's queue, and where its reloads are asked for.
pub fn reload_channel() -> (ReloadAsker, ReloadQueue) {
    let (requests, queue) = mpsc::channel(QUEUED);
    (ReloadAsker { requests }, ReloadQueue { requests: queue })
}

impl ReloadAsker {
    /// Asks for a reload whose outcome goes to the log only (a SIGHUP's), without waiting:
    /// with [`QUEUED`] reloads waiting already, or once reloads are no longer served (the
    /// server stops), it logs why none is added.
    pub fn signal(&self) {
        match self.requests.try_send(Asker::Signal) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => info!(
                "SIGHUP: {QUEUED} reloads wait already; the last of them reads the file as it \
                 is now"
            ),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                info!("SIGHUP ignored: the server is stopping")
            }
        }
    }

    /// Asks for a reload, after those asked before it (waiting for room among the
    /// [`QUEUED`] ones), and waits for its outcome; `None` when reloads are no longer served
    /// (the server stops) before it has run.
    pub async fn ask(&self) -> Option<Outcome> {
        let (reply, outcome) = oneshot::channel();
        self.requests.send(Asker::Control(reply)).await.ok()?;
        outcome.await.ok()
    }
}

impl ReloadQueue {
    /// The next reload asked for, once there is one; `None` once no one can ask any more.
    pub async fn next(&mut self) -> Option<Asker> {
        self.requests.recv().await
    }
}

/// `configReload()` through `asker` (`None`: the server was started without a file): the
/// report of one reload, run as a SIGHUP runs it, in turn with the others; or fault 300 for
/// arguments, [`Fault::CONFLICT`] without a file, [`STOPPING`] while the server stops,
/// [`super::report::NOT_LOADED`] with the file's error when it does not load.
pub async fn config_reload(asker: Option<&ReloadAsker>, params: &[Value]) -> Result<Value, Fault> {
    if !params.is_empty() {
        return Err(Fault::bad_params(format!(
            "configReload: expected 0 arguments, got {}",
            params.len()
        )));
    }
    let asker = asker.ok_or_else(|| {
        Fault::new(
            Fault::CONFLICT,
            "configReload: the server was started without --config, so there is no \
             configuration file to read again",
        )
    })?;
    let outcome = asker.ask().await.ok_or_else(|| {
        Fault::new(
            STOPPING,
            "configReload: the server is stopping: the configuration is not read again",
        )
    })?;
    outcome.map(|report| report.value()).map_err(|e| e.fault())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_reload::report::{Failure, Report};
    use std::time::Duration;
    use tokio::task::JoinHandle;

    /// Spawns an ask of `asker`'s and returns once it is queued, the `at`th (1: the first)
    /// of `asker`'s queue.
    async fn ask_queued(asker: &ReloadAsker, at: usize) -> JoinHandle<Option<Outcome>> {
        let asking = asker.clone();
        let ask = tokio::spawn(async move { asking.ask().await });
        for _ in 0..1000 {
            if asker.requests.capacity() == QUEUED - at {
                return ask;
            }
            tokio::task::yield_now().await;
        }
        panic!("the ask was not queued {at}th");
    }

    /// The file of a report, which [`serve_in_turn`] names by its turn.
    fn file(outcome: Option<Outcome>) -> String {
        let report = outcome.expect("answered").expect("a report");
        report.file.display().to_string()
    }

    /// Serves `queue` as the reload task does, one at a time: each reload's report names its
    /// turn (`turn 1`) as its file. Who asked for each, in turn.
    async fn serve_in_turn(mut queue: ReloadQueue) -> Vec<&'static str> {
        let mut served = Vec::new();
        while let Some(asker) = queue.next().await {
            served.push(asker.name());
            let turn = format!("turn {}", served.len());
            asker.answer(Ok(Report::new(turn.into())));
        }
        served
    }

    #[tokio::test]
    async fn reloads_are_served_in_the_order_asked_each_answered_with_its_own() {
        let (asker, queue) = reload_channel();
        let first = ask_queued(&asker, 1).await;
        asker.signal();
        let third = ask_queued(&asker, 3).await;
        drop(asker);
        assert_eq!(
            serve_in_turn(queue).await,
            ["configReload", "SIGHUP", "configReload"]
        );
        assert_eq!(file(first.await.unwrap()), "turn 1");
        assert_eq!(file(third.await.unwrap()), "turn 3");
    }

    #[tokio::test]
    async fn a_reload_asked_while_another_runs_waits_for_it() {
        let (asker, mut queue) = reload_channel();
        asker.signal();
        let running = queue.next().await.expect("the SIGHUP's reload");
        let mut waiting = ask_queued(&asker, 1).await;
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "not answered while the reload before it runs"
        );
        running.answer(Err(Failure::Internal));
        let next = queue.next().await.expect("the reload asked");
        next.answer(Ok(Report::new("turn 2".into())));
        assert_eq!(file(waiting.await.unwrap()), "turn 2");
    }

    #[test]
    fn a_sighup_past_the_reloads_queued_adds_none_and_says_so() {
        let (asker, mut queue) = reload_channel();
        let ((), log) = crate::test_log::logged(|| {
            for _ in 0..QUEUED + 2 {
                asker.signal();
            }
        });
        assert_eq!(
            log.matches("reloads wait already; the last of them reads the file")
                .count(),
            2,
            "{log}"
        );
        let queued = std::iter::from_fn(|| queue.requests.try_recv().ok()).count();
        assert_eq!(queued, QUEUED);
        drop(queue);
        let ((), log) = crate::test_log::logged(|| asker.signal());
        assert!(
            log.contains("SIGHUP ignored: the server is stopping"),
            "{log}"
        );
    }

    /// `configReload(params)` on a server with a file when `file`, whose reload task takes
    /// the first reload asked for and answers it with `outcome`, or drops it unanswered (as
    /// when the stop begins) when `None`.
    async fn config_reload_served(
        file: bool,
        params: &[Value],
        outcome: Option<Outcome>,
    ) -> Result<Value, Fault> {
        let (asker, mut queue) = reload_channel();
        let serve = tokio::spawn(async move {
            let asked = queue.next().await;
            if let (Some(asked), Some(outcome)) = (asked, outcome) {
                asked.answer(outcome);
            }
        });
        let answer = config_reload(file.then_some(&asker), params).await;
        serve.abort();
        answer
    }

    #[tokio::test]
    async fn config_reload_answers_the_report_or_the_fault_of_why_nothing_changed() {
        let report = Report::new("my.toml".into());
        let answer = config_reload_served(true, &[], Some(Ok(report.clone()))).await;
        assert_eq!(answer, Ok(report.value()));

        let error = "my.toml:9:1: invalid table header";
        let not_loaded = Some(Err(Failure::NotLoaded(error.to_owned())));
        let answer = config_reload_served(true, &[], not_loaded).await;
        assert_eq!(answer, Err(Fault::new(422, error)));

        let extra = config_reload_served(true, &[Value::Int(1)], None).await;
        assert_eq!(
            extra,
            Err(Fault::bad_params(
                "configReload: expected 0 arguments, got 1"
            ))
        );

        let no_file = config_reload_served(false, &[], None).await.unwrap_err();
        assert_eq!(no_file.code, Fault::CONFLICT);
        assert!(no_file.message.contains("without --config"), "{no_file:?}");

        // The reload task gone, as when the stop begins: while the ask waits, or before it.
        let stopped = config_reload_served(true, &[], None).await.unwrap_err();
        assert_eq!(stopped.code, STOPPING);
        assert!(stopped.message.contains("is stopping"), "{stopped:?}");
        let (asker, queue) = reload_channel();
        drop(queue);
        assert_eq!(config_reload(Some(&asker), &[]).await, Err(stopped));
    }
}
