//! Reputation tables, one module per table: topic seeds, runs and their materialised scores,
//! and the reads of the endorsement graph that a recompute and an explanation start from.

pub mod claims;
mod encode;
mod graph;
mod graph_copy;
mod parts;
mod runs;
mod seeds;

pub use encode::*;
pub use graph::*;
pub use parts::*;
pub use runs::*;
pub use seeds::*;
