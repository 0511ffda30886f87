//! Reading the ledger (writes append through `Tx::append`); `verify` lives in its own module.

use std::collections::HashMap;

use super::Result;
use crate::db::DbConn;
use crate::domain::ledger::{Created, Entry, Payload};
use crate::storage;
pub use crate::storage::ledger::Filter;

/// Entries after `after`, at most `limit`, each with its payload: stored, or rebuilt from the
/// endorsement row it created. A created entry whose row is gone gets the payload `null`, which
/// no longer matches its hash, so `ledger verify` reports the break at that entry.
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> Result<Vec<Entry>> {
    filtered_page(conn, after, limit, &Filter::default())
}

/// Like [`page`], keeping only the entries `filter` names (by kind, by time).
pub fn filtered_page(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
    filter: &Filter,
) -> Result<Vec<Entry>> {
    let stored = if filter.is_empty() {
        storage::ledger::page(conn, after, limit)?
    } else {
        storage::ledger::filtered_page(conn, after, limit, filter)?
    };
    let mut missing = stored.iter().filter(|s| s.payload.is_none()).map(|s| s.seq);
    let rebuilt: HashMap<i64, Created> = match (missing.next(), missing.next_back()) {
        (Some(from), to) => storage::endorsements::created_between(conn, from, to.unwrap_or(from))?
            .into_iter()
            .map(|c| (c.id, c))
            .collect(),
        (None, _) => HashMap::new(),
    };
    Ok(stored
        .into_iter()
        .map(|mut s| {
            let payload = s.payload.take().unwrap_or_else(|| {
                rebuilt
                    .get(&s.seq)
                    .map_or_else(|| "null".to_string(), Payload::canonical)
            });
            s.into_entry(payload)
        })
        .collect())
}

/// The last entry's seq (0 for an empty ledger).
pub fn head_seq(conn: &mut DbConn) -> Result<i64> {
    Ok(storage::ledger::head(conn)?.map_or(0, |(seq, _)| seq))
}

pub use super::verify::{verify, verify_since, Verdict};
