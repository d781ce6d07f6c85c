//! Leases as vaultlab tracks them: countdown arithmetic now, the journal of issued lease
//! ids later. Time is always passed in, never read here, so every answer is testable.

pub mod countdown;
