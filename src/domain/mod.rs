//! The domain: what an endorsement, a handle, a topic, a key and a ledger entry are, and the rules
//! they obey. Pure code: no database, no HTTP. Storage and HTTP depend on it, never the reverse.

pub mod cursor;
pub mod detect;
pub mod endorsement;
pub mod error;
pub mod flag;
pub mod flag_group;
pub mod global_quota;
pub mod handle;
pub mod keys;
pub mod ledger;
pub mod model;
pub mod reputation;
pub mod rules;
pub mod solicitation;
pub mod text;
pub mod time;
pub mod topic;

pub use error::Rejection;
