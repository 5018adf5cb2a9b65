//! Reloads asked for, served one at a time in the order asked: by SIGHUP, whose outcome goes
//! to the log only, and by `configReload()`, which is answered with it.

use super::report::Outcome;
use std::time::Duration;
use switchyard_control::{Fault, Value};
use tokio::sync::{mpsc, oneshot};
use tracing::info;

/// The most reloads waiting for their turn. A SIGHUP past them adds none: the last of them
/// reads the file after the signal, as its own reload would.
const QUEUED: usize = 8;

/// How long a `configReload()` waits for room among the [`QUEUED`] reloads before it is
/// answered busy: each one waiting holds its client's connection, so that they stay few.
const ROOM_WAIT: Duration = Duration::from_secs(2);

/// The fault code of a reload not run (HTTP's 503, which REST answers): the server stops, or
/// [`QUEUED`] reloads wait already.
const UNAVAILABLE: i32 = 503;

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

    /// Asks for a reload, after those asked before it (waiting up to [`ROOM_WAIT`] for room
    /// among the [`QUEUED`] ones), and waits for its outcome, or for why there is none.
    pub async fn ask(&self) -> Result<Outcome, Unserved> {
        let (reply, outcome) = oneshot::channel();
        match tokio::time::timeout(ROOM_WAIT, self.requests.send(Asker::Control(reply))).await {
            Err(_) => return Err(Unserved::Busy),
            Ok(Err(_)) => return Err(Unserved::Stopping),
            Ok(Ok(())) => {}
        }
        outcome.await.map_err(|_| Unserved::Stopping)
    }
}

/// Why a reload asked for has no outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unserved {
    /// [`QUEUED`] reloads waited for their turn all along [`ROOM_WAIT`]: none was asked.
    Busy,
    /// The server stops: the reload was not run, or its run was cut off, with what it had
    /// applied by then holding until the server ends.
    Stopping,
}

impl ReloadQueue {
    /// The next reload asked for, once there is one; `None` once no one can ask any more.
    pub async fn next(&mut self) -> Option<Asker> {
        self.requests.recv().await
    }

    /// Has `reloader` run each reload asked for, one at a time, in the order asked (each
    /// after the one before has ended), until no one can ask any more.
    pub async fn serve(mut self, reloader: &mut impl Reload) {
        while let Some(asker) = self.next().await {
            reloader.reload(asker).await;
        }
    }
}

/// What runs the reloads of a [`ReloadQueue`].
pub trait Reload {
    /// Runs one reload, for `asker`, and answers it.
    fn reload(&mut self, asker: Asker) -> impl Future<Output = ()> + Send;
}

/// `configReload()` through `asker` (`None`: the server was started without a file): the
/// report of one reload, run as a SIGHUP runs it, in turn with the others; or fault 300 for
/// arguments, [`Fault::CONFLICT`] without a file, [`UNAVAILABLE`] while the server stops or
/// with [`QUEUED`] reloads waiting, [`super::report::NOT_LOADED`] with the file's error when
/// it does not load.
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
    let outcome = asker.ask().await.map_err(|unserved| match unserved {
        Unserved::Busy => Fault::new(
            UNAVAILABLE,
            format!(
                "configReload: {QUEUED} reloads wait for their turn already; the last of them \
                 reads the file as it is now"
            ),
        ),
        Unserved::Stopping => Fault::new(
            UNAVAILABLE,
            "configReload: the server is stopping: the reload was not run, or not finished \
             (what it applied by then holds until the server ends)",
        ),
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
    async fn ask_queued(asker: &ReloadAsker, at: usize) -> JoinHandle<Result<Outcome, Unserved>> {
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

    /// The file of a report, which [`served_in_turn`] names by its turn.
    fn file(outcome: Result<Outcome, Unserved>) -> String {
        let report = outcome.expect("answered").expect("a report");
        report.file.display().to_string()
    }

    /// Reloads that answer at once, each with a report naming its turn (`turn 1`) as its
    /// file, noting who asked for each.
    #[derive(Default)]
    struct InTurn(Vec<&'static str>);

    impl Reload for InTurn {
        async fn reload(&mut self, asker: Asker) {
            self.0.push(asker.name());
            let turn = format!("turn {}", self.0.len());
            asker.answer(Ok(Report::new(turn.into())));
        }
    }

    /// Serves `queue` as the reload task does ([`ReloadQueue::serve`]) with [`InTurn`]
    /// reloads: who asked for each, in turn.
    async fn served_in_turn(queue: ReloadQueue) -> Vec<&'static str> {
        let mut in_turn = InTurn::default();
        queue.serve(&mut in_turn).await;
        in_turn.0
    }

    /// Reloads the first of which runs until `released`, having told `started`; each answers
    /// a report naming who asked for it as its file.
    struct FirstHeld(Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>);

    impl Reload for FirstHeld {
        async fn reload(&mut self, asker: Asker) {
            if let Some((started, released)) = self.0.take() {
                let _ = started.send(());
                let _ = released.await;
            }
            let name = asker.name();
            asker.answer(Ok(Report::new(name.into())));
        }
    }

    #[tokio::test]
    async fn reloads_are_served_in_the_order_asked_each_answered_with_its_own() {
        let (asker, queue) = reload_channel();
        let first = ask_queued(&asker, 1).await;
        asker.signal();
        let third = ask_queued(&asker, 3).await;
        drop(asker);
        assert_eq!(
            served_in_turn(queue).await,
            ["configReload", "SIGHUP", "configReload"]
        );
        assert_eq!(file(first.await.unwrap()), "turn 1");
        assert_eq!(file(third.await.unwrap()), "turn 3");
    }

    #[tokio::test]
    async fn a_reload_asked_while_another_runs_waits_for_it() {
        let (asker, queue) = reload_channel();
        let (release, released) = oneshot::channel::<()>();
        let (started, starting) = oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            queue.serve(&mut FirstHeld(Some((started, released)))).await;
        });
        asker.signal();
        starting.await.expect("the SIGHUP's reload runs");
        let mut waiting = ask_queued(&asker, 1).await;
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "not answered while the reload before it runs"
        );
        release.send(()).unwrap();
        assert_eq!(file(waiting.await.unwrap()), "configReload");
        drop(asker);
        serving.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_reload_asked_with_the_queue_full_all_along_its_wait_is_answered_busy() {
        let (asker, _queue) = reload_channel();
        for _ in 0..QUEUED {
            asker.signal();
        }
        let busy = config_reload(Some(&asker), &[]).await.unwrap_err();
        assert_eq!(busy.code, UNAVAILABLE);
        assert!(
            busy.message.contains("reloads wait for their turn"),
            "{busy:?}"
        );
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
        assert_eq!(stopped.code, UNAVAILABLE);
        assert!(stopped.message.contains("is stopping"), "{stopped:?}");
        let (asker, queue) = reload_channel();
        drop(queue);
        assert_eq!(config_reload(Some(&asker), &[]).await, Err(stopped));
    }
}
