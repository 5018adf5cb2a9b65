//! A leg's private prompt playback: a cursor over a list of prompts, one frame per tick.

use std::sync::Arc;

use crate::rate::RateConverter;
use crate::{FRAME_LEN, Prompt};

/// Who hears a leg's prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptRole {
    /// The leg itself hears them, on top of its room or bridge peer.
    Heard,
    /// They are the leg's voice: its room or bridge peer hears them in place of
    /// what the leg sends (a callee's ringback, say, while it rings).
    Said,
}

/// Which list of prompts played to a leg ([`PromptRole::Heard`]) a
/// [`MediaEvent::PromptDone`](crate::MediaEvent::PromptDone) is of: the number its caller gave
/// [`Worker::play`](crate::Worker::play), so that the end of a list since replaced or stopped
/// can be told from the end of the one playing now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlayId(pub u64);

/// Plays a list of prompts in order, optionally looping.
#[derive(Debug)]
pub(crate) struct Playback {
    prompts: Vec<Arc<Prompt>>,
    looped: bool,
    index: usize,
    offset: usize,
}

impl Playback {
    /// A cursor at the start of `prompts`. A list without samples ends at once, even if looped,
    /// so it can never play silence forever without reporting.
    pub(crate) fn new(prompts: Vec<Arc<Prompt>>, looped: bool) -> Self {
        let looped = looped && prompts.iter().any(|p| !p.samples().is_empty());
        let mut playback = Playback {
            prompts,
            looped,
            index: 0,
            offset: 0,
        };
        playback.skip_exhausted();
        playback
    }

    /// Fills `out` with the next samples (silence after the end) and returns whether the list
    /// has ended with this frame. A looped list never ends.
    pub(crate) fn fill(&mut self, out: &mut [i16]) -> bool {
        let mut written = 0;
        while written < out.len() && self.index < self.prompts.len() {
            let samples = &self.prompts[self.index].samples()[self.offset..];
            let n = samples.len().min(out.len() - written);
            out[written..written + n].copy_from_slice(&samples[..n]);
            written += n;
            self.offset += n;
            self.skip_exhausted();
        }
        out[written..].fill(0);
        self.index == self.prompts.len()
    }

    /// Fills `out` at another rate than the prompts' ([`PROMPT_RATE`](crate::PROMPT_RATE))
    /// through `converter`, as
    /// [`fill`](Self::fill) does.
    pub(crate) fn fill_at(&mut self, converter: &mut RateConverter, out: &mut [i16]) -> bool {
        let mut pcm = [0i16; FRAME_LEN];
        let len = converter.input_len(out.len()).min(FRAME_LEN);
        let ended = self.fill(&mut pcm[..len]);
        converter.process(&pcm[..len], out);
        ended
    }

    // Moves past finished and empty prompts, wrapping around when looped.
    fn skip_exhausted(&mut self) {
        while self.index < self.prompts.len()
            && self.offset == self.prompts[self.index].samples().len()
        {
            self.index += 1;
            self.offset = 0;
            if self.looped && self.index == self.prompts.len() {
                self.index = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(len: usize, value: i16) -> Arc<Prompt> {
        Arc::new(Prompt::from_pcm(vec![value; len]))
    }

    #[test]
    fn plays_across_prompt_boundaries_and_ends() {
        let mut pb = Playback::new(vec![prompt(3, 1), prompt(0, 9), prompt(4, 2)], false);
        let mut frame = [7i16; 4];
        assert!(!pb.fill(&mut frame));
        assert_eq!(frame, [1, 1, 1, 2]);
        assert!(pb.fill(&mut frame));
        assert_eq!(frame, [2, 2, 2, 0]);
    }

    #[test]
    fn ends_on_the_frame_that_holds_the_last_sample() {
        let mut pb = Playback::new(vec![prompt(8, 1)], false);
        let mut frame = [0i16; 4];
        assert!(!pb.fill(&mut frame));
        assert!(pb.fill(&mut frame));
        assert_eq!(frame, [1; 4]);
    }

    #[test]
    fn looped_list_wraps_and_empty_list_ends() {
        let mut pb = Playback::new(vec![prompt(3, 1), prompt(2, 2)], true);
        let mut frame = [0i16; 4];
        for _ in 0..100 {
            assert!(!pb.fill(&mut frame));
        }
        assert_eq!(frame, [1, 1, 2, 2]);
        assert!(Playback::new(vec![prompt(0, 1)], true).fill(&mut frame));
        assert!(Playback::new(Vec::new(), false).fill(&mut frame));
    }
}
