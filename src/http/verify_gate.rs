//! Ledger verification over HTTP: one run at a time, and from the last head found good.
//!
//! A full verify reads every entry and row (over a second at 100k entries); unbounded, a few
//! callers could hold every pooled connection. So one verify runs at a time on this instance
//! (others are told to come back), and an ordinary verify checks only what was appended since
//! the last good one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::domain::ledger::Chain;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct VerifyGate {
    running: AtomicBool,
    /// The head of the last verify that found the chain good.
    good: Mutex<Option<Chain>>,
}

/// A verify run in progress; the gate opens again when it is dropped.
#[derive(Debug)]
pub struct Running<'a>(&'a VerifyGate);

impl VerifyGate {
    /// `None` while another verify runs.
    pub fn try_start(&self) -> Option<Running<'_>> {
        self.running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Running(self))
    }

    /// The last head found good, if any.
    pub fn last_good(&self) -> Option<Chain> {
        self.good.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_good(&self, chain: Option<Chain>) {
        *self.good.lock().unwrap_or_else(|p| p.into_inner()) = chain;
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_at_a_time() {
        let gate = VerifyGate::default();
        let first = gate.try_start();
        assert!(first.is_some());
        assert!(gate.try_start().is_none(), "a second run waits its turn");
        drop(first);
        assert!(gate.try_start().is_some(), "free again once the first ends");
    }
}
