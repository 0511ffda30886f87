//! Appending to the ledger and reading it; `verify` lives in its own module.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Result;
use crate::db::DbConn;
use crate::domain::ledger::{next_entry, Entry};
use crate::storage;

/// Appends an entry after the current head; `payload` is given the entry's seq. Call inside a
/// write transaction: the write lock is what keeps two writers from reading the same head.
pub fn append<T: Serialize>(
    conn: &mut DbConn,
    kind: &str,
    at: DateTime<Utc>,
    payload: impl FnOnce(i64) -> T,
) -> Result<(Entry, T)> {
    let head = storage::ledger::head(conn)?;
    let prev = head.as_ref().map(|(s, h)| (*s, h.as_str()));
    let payload = payload(prev.map_or(1, |(s, _)| s + 1));
    let entry = next_entry(prev, kind, at, &payload);
    storage::ledger::insert(conn, &entry)?;
    Ok((entry, payload))
}

/// Entries after `after`, at most `limit`.
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> Result<Vec<Entry>> {
    Ok(storage::ledger::page(conn, after, limit)?)
}

pub use super::verify::{verify, Verdict};
