//! What one guest instance may take of the host: one budget of linear memory
//! shared by all of its memories (a component may define several, and each
//! would otherwise have the whole cap), one of table elements shared by its
//! tables (growing a table allocates host memory in a single instruction, which
//! no deadline interrupts), and bounds on its core instances, tables and
//! memories. Going over traps the guest: an instance that ran out of memory is
//! not left to limp on.

use wasmtime::{ResourceLimiter, Result};

/// The most tables one instance may create (a Rust guest has two).
const MAX_TABLES: usize = 32;
/// The most memories one instance may create (a Rust guest has one).
const MAX_MEMORIES: usize = 8;
/// The table elements one instance may hold in all, about 2 MiB of the host's
/// memory: a table holds the functions a guest calls indirectly (a Rust guest's
/// a hundred or so, an interpreter's some thousands).
pub(crate) const MAX_TABLE_ELEMENTS: usize = 1 << 18;

/// The limiter of one instance's store.
#[derive(Debug)]
pub(crate) struct InstanceBudget {
    memory: Pool,
    table_elements: Pool,
    max_core_instances: usize,
}

impl InstanceBudget {
    /// `memory_bytes` of linear memory in all and `max_core_instances` core
    /// instances.
    pub(crate) fn new(memory_bytes: usize, max_core_instances: usize) -> Self {
        InstanceBudget {
            memory: Pool::new(memory_bytes, "linear memory bytes"),
            table_elements: Pool::new(MAX_TABLE_ELEMENTS, "table elements"),
            max_core_instances,
        }
    }
}

/// What is left of one budget, and what it counts.
#[derive(Debug)]
struct Pool {
    left: usize,
    what: &'static str,
}

impl Pool {
    fn new(left: usize, what: &'static str) -> Self {
        Pool { left, what }
    }

    /// Takes `desired - current` for a memory or table growing to `desired`,
    /// within its declared `maximum`; the error names what ran out.
    fn grow(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        let more = desired.saturating_sub(current);
        if maximum.is_some_and(|max| desired > max) || more > self.left {
            return Err(wasmtime::Error::msg(format!(
                "the instance is out of its {}: growing to {desired} needs {more} more, {} left",
                self.what, self.left
            )));
        }
        self.left -= more;
        Ok(true)
    }
}

impl ResourceLimiter for InstanceBudget {
    fn memory_growing(&mut self, now: usize, to: usize, max: Option<usize>) -> Result<bool> {
        self.memory.grow(now, to, max)
    }

    fn table_growing(&mut self, now: usize, to: usize, max: Option<usize>) -> Result<bool> {
        self.table_elements.grow(now, to, max)
    }

    fn instances(&self) -> usize {
        self.max_core_instances
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_memory_draws_on_one_budget() {
        let mut budget = InstanceBudget::new(100, 4);
        assert!(budget.memory_growing(0, 60, None).unwrap());
        // A second memory gets only what the first left.
        assert!(budget.memory_growing(0, 50, None).is_err());
        assert!(budget.memory_growing(0, 40, None).unwrap());
        assert!(budget.memory_growing(60, 61, None).is_err());
    }

    #[test]
    fn a_table_grows_within_the_elements_left_and_its_own_maximum() {
        let mut budget = InstanceBudget::new(0, 4);
        assert!(budget.table_growing(0, 100, Some(100)).unwrap());
        assert!(budget.table_growing(100, 101, Some(100)).is_err());
        assert!(budget.table_growing(0, MAX_TABLE_ELEMENTS, None).is_err());
        assert!(
            budget
                .table_growing(0, MAX_TABLE_ELEMENTS - 100, None)
                .unwrap()
        );
    }
}
