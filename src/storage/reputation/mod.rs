//! Reputation tables, one module per table: topic seeds, runs and their materialised scores,
//! and the reads of the endorsement graph that a recompute and an explanation start from.

pub mod claims;
mod graph;
mod scores;
mod seeds;

pub use graph::*;
pub use scores::*;
pub use seeds::*;
