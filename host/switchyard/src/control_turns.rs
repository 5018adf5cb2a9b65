//! A guest's control functions take turns: one runs at a time, in the order
//! they came, as SEMS runs its own under one lock. A function that reads a
//! room's state and changes it (`roomCreate` giving a room its pin,
//! `addParticipant` adding to its list) sees no other function of that guest
//! in between; functions of different guests still run side by side.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Mutex as Turn, OwnedMutexGuard};

/// Whose turn it is, a queue per guest name. It holds one entry per name of
/// a guest that has been loaded (the caller checks), so the configuration
/// bounds it.
#[derive(Default)]
pub struct ControlTurns {
    by_guest: Mutex<HashMap<String, Arc<Turn<()>>>>,
}

impl ControlTurns {
    /// Waits up to `wait` for `guest`'s turn, behind the functions that came
    /// before; the guard holds it until dropped. None when the wait ran out.
    pub async fn take(&self, guest: &str, wait: Duration) -> Option<OwnedMutexGuard<()>> {
        let turn = self
            .by_guest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(guest.to_owned())
            .or_default()
            .clone();
        tokio::time::timeout(wait, turn.lock_owned()).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn one_function_of_a_guest_runs_at_a_time_and_other_guests_go_on() {
        let turns = ControlTurns::default();
        let first = turns
            .take("webconference", WAIT)
            .await
            .expect("a free turn");
        assert!(
            turns.take("webconference", WAIT).await.is_none(),
            "the second waits while the first runs"
        );
        assert!(
            turns.take("nway", WAIT).await.is_some(),
            "another guest is not held up"
        );
        drop(first);
        assert!(turns.take("webconference", WAIT).await.is_some());
    }

    #[tokio::test]
    async fn turns_come_in_the_order_asked() {
        let turns = Arc::new(ControlTurns::default());
        let first = turns.take("g", WAIT).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..5 {
            let (turns, order) = (turns.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _turn = turns.take("g", Duration::from_secs(5)).await.unwrap();
                order.lock().unwrap().push(n);
            }));
            // Each is queued before the next asks.
            tokio::task::yield_now().await;
        }
        drop(first);
        for task in waiting {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }
}
