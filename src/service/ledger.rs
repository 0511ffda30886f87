//! Reading the ledger (writes append through `Tx::append`); `verify` lives in its own module.

use super::Result;
use crate::db::DbConn;
use crate::domain::ledger::Entry;
use crate::storage;

/// Entries after `after`, at most `limit`.
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> Result<Vec<Entry>> {
    Ok(storage::ledger::page(conn, after, limit)?)
}

pub use super::verify::{verify, Verdict};
