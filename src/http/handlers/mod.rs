//! Request handlers, one module per resource. Each parses its input into domain types, calls one
//! service function, and shapes the response.

pub mod classify;
pub mod directory;
pub mod endorsements;
pub mod flags;
pub mod health;
pub mod keys;
pub mod ledger;
pub mod metrics;
pub mod paths;
pub mod reputation;
pub mod solicitations;
