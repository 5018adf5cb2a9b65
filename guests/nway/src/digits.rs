//! A number or pin typed on the keypad, ended by `#`, with a time-out for
//! each key.

use std::time::Duration;
use switchyard_sdk::{Call, TimerId};

/// The most keys of one number; more are ignored.
const MAX_KEYS: usize = 32;

/// Keys being typed towards a number.
#[derive(Debug)]
pub struct Digits {
    typed: String,
    timer: Option<TimerId>,
    timeout: Duration,
}

/// What the keys so far amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typing {
    /// Waiting for more keys.
    More,
    /// `#` ended the number (possibly empty), or the time-out did after some keys.
    Done(String),
    /// `*` was pressed, or the time-out ran out before any key.
    Cancelled,
}

impl Digits {
    /// Starts waiting for keys, at most `timeout` for each.
    pub fn start(call: &Call, timeout: Duration) -> Digits {
        Digits {
            typed: String::new(),
            timer: call.start_timer(timeout).ok(),
            timeout,
        }
    }

    /// Takes one key.
    pub fn press(&mut self, call: &Call, key: char) -> Typing {
        match key {
            '#' => {
                let typed = std::mem::take(&mut self.typed);
                self.finish(call, Typing::Done(typed))
            }
            '*' => self.finish(call, Typing::Cancelled),
            key => {
                if self.typed.len() < MAX_KEYS {
                    self.typed.push(key);
                }
                self.restart(call);
                Typing::More
            }
        }
    }

    /// The timer `id` fired: `None` if it is not this entry's.
    pub fn timed_out(&mut self, call: &Call, id: TimerId) -> Option<Typing> {
        if self.timer != Some(id) {
            return None;
        }
        self.timer = None;
        Some(match std::mem::take(&mut self.typed) {
            typed if typed.is_empty() => self.finish(call, Typing::Cancelled),
            typed => self.finish(call, Typing::Done(typed)),
        })
    }

    /// Whether no key was typed yet.
    pub fn is_empty(&self) -> bool {
        self.typed.is_empty()
    }

    fn restart(&mut self, call: &Call) {
        if let Some(timer) = self.timer.take() {
            call.cancel_timer(timer);
        }
        self.timer = call.start_timer(self.timeout).ok();
    }

    fn finish(&mut self, call: &Call, outcome: Typing) -> Typing {
        if let Some(timer) = self.timer.take() {
            call.cancel_timer(timer);
        }
        outcome
    }
}
