//! Random identifiers (tags, branches) from a seeded cryptographically secure generator
//! (ChaCha12): RFC 3261 §19.3 wants tags cryptographically random, so that a peer who sees
//! some cannot tell the next and forge a request in a dialog. Its output is as unpredictable
//! as its seed, which the caller takes from the operating system; a test's fixed seed makes a
//! run reproducible.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The RFC 3261 branch prefix that marks an RFC 3261 client transaction (§8.1.1.7).
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// Generator of tags and branches.
#[derive(Debug)]
pub(crate) struct Ids {
    rng: StdRng,
}

impl Ids {
    /// A generator whose output depends only on `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A From/To tag: 64 random bits, hex (RFC 3261 §19.3 asks for at least 32).
    pub(crate) fn tag(&mut self) -> String {
        format!("{:016x}", self.rng.random::<u64>())
    }

    /// A random number, for random waits (§14.1).
    pub(crate) fn number(&mut self) -> u32 {
        self.rng.random()
    }

    /// A Via branch: the magic cookie and 96 random bits, unique across space and time for
    /// all practical purposes (§8.1.1.7).
    pub(crate) fn branch(&mut self) -> String {
        let high = self.rng.random::<u64>();
        let low = self.rng.random::<u32>();
        format!("{MAGIC_COOKIE}{high:016x}{low:08x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids_and_distinct_values() {
        let (mut a, mut b) = (Ids::new(7), Ids::new(7));
        assert_eq!(a.tag(), b.tag());
        assert_eq!(a.branch(), b.branch());
        assert_ne!(a.tag(), a.tag());
        assert!(a.branch().starts_with(MAGIC_COOKIE));
    }
}
