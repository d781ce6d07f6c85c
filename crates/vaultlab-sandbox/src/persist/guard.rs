//! The lock on a side's state (Vault's or AWS's) that records, as it is released, every
//! change made while it was held. Recording under the lock keeps the log in the order the
//! changes were made, and no handler has to remember to save anything.

use std::ops::{Deref, DerefMut};
use std::sync::MutexGuard;

use super::{Store, barrier};

/// A state whose changes can be recorded.
pub trait Recordable {
    /// Records what changed since the last call (or, without a store, forgets it). The
    /// log position that covers it, if anything was recorded.
    fn record_changes(&mut self, store: Option<&Store>) -> Option<u64>;
}

pub struct Recorded<'a, S: Recordable> {
    state: MutexGuard<'a, S>,
    store: Option<&'a Store>,
    touched: bool,
}

impl<'a, S: Recordable> Recorded<'a, S> {
    pub fn new(state: MutexGuard<'a, S>, store: Option<&'a Store>) -> Self {
        Self {
            state,
            store,
            touched: false,
        }
    }
}

impl<S: Recordable> Deref for Recorded<'_, S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.state
    }
}

impl<S: Recordable> DerefMut for Recorded<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        self.touched = true;
        &mut self.state
    }
}

impl<S: Recordable> Drop for Recorded<'_, S> {
    fn drop(&mut self) {
        if !self.touched {
            return;
        }
        // Still under the lock: `state` is released after this body.
        if let Some(seq) = self.state.record_changes(self.store) {
            barrier::note(seq);
        }
    }
}
