//! A number or pin typed on the keypad, ended by `#`, with a time-out for
//! each key. After a prompt the first key's time-out starts only once the
//! prompt is over: a caller cannot type before it knows what to type.

use std::time::Duration;
use switchyard_sdk::{Call, TimerId};

/// The most keys of one number or pin; more make it [`Typing::TooLong`].
pub const MAX_KEYS: usize = 32;

/// Keys being typed towards a number.
#[derive(Debug)]
pub struct Digits {
    /// The keys typed, at most one past [`MAX_KEYS`]: that one tells a
    /// number too long.
    typed: String,
    timer: Option<TimerId>,
    timeout: Duration,
}

/// What the keys so far amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typing {
    /// Waiting for more keys.
    More,
    /// `#` ended the number (possibly empty).
    Done(String),
    /// The time-out ran out, after these keys (possibly none).
    TimedOut(String),
    /// `#` or the time-out ended more than [`MAX_KEYS`] keys: no number,
    /// nor its first keys, is what was meant.
    TooLong,
    /// `*` was pressed.
    Cancelled,
}

impl Digits {
    /// Starts waiting for keys, at most `timeout` for each.
    pub fn start(call: &Call, timeout: Duration) -> Digits {
        let mut digits = Digits::new(timeout);
        digits.restart(call);
        digits
    }

    /// Plays `prompts` asking for keys, then waits for them, at most
    /// `timeout` for each: the first key's time-out starts at the prompts'
    /// end ([`Digits::prompt_done`]), or at once if they cannot be played.
    pub fn after_prompts(call: &Call, prompts: &[&str], timeout: Duration) -> Digits {
        match call.play(prompts) {
            Ok(()) => Digits::new(timeout),
            Err(_) => Digits::start(call, timeout),
        }
    }

    fn new(timeout: Duration) -> Digits {
        Digits {
            typed: String::new(),
            timer: None,
            timeout,
        }
    }

    /// The prompt asking for the keys ended (or was stopped): the time-out
    /// for the first key starts, unless a key already started one.
    pub fn prompt_done(&mut self, call: &Call) {
        if self.timer.is_none() && self.typed.is_empty() {
            self.restart(call);
        }
    }

    /// Takes one key.
    pub fn press(&mut self, call: &Call, key: char) -> Typing {
        match key {
            '#' => {
                let typed = self.take(Typing::Done);
                self.finish(call, typed)
            }
            '*' => self.finish(call, Typing::Cancelled),
            key => {
                if self.typed.len() <= MAX_KEYS {
                    self.typed.push(key);
                }
                self.restart(call);
                Typing::More
            }
        }
    }

    /// The timer `id` fired: `None` if it is not this entry's.
    pub fn timed_out(&mut self, id: TimerId) -> Option<Typing> {
        if self.timer != Some(id) {
            return None;
        }
        self.timer = None;
        Some(self.take(Typing::TimedOut))
    }

    /// The keys typed, as `ended` ends them, unless there were too many;
    /// the next number starts afresh.
    fn take(&mut self, ended: fn(String) -> Typing) -> Typing {
        let typed = std::mem::take(&mut self.typed);
        if typed.len() > MAX_KEYS {
            Typing::TooLong
        } else {
            ended(typed)
        }
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
