//! The `ledger` table: append and read hash-chained entries.
//!
//! Stored compactly: the hash as 32 bytes, no `prev_hash` (it is the previous entry's hash, filled
//! in on reading), and no payload for the kinds whose payload is rebuilt from a row
//! ([`stores_payload`]); the service puts those back (`service::ledger::page`).

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

use super::db_stamp;
use crate::db::instant::Stamp;
use crate::db::schema::ledger;
use crate::db::DbConn;
use crate::domain::ledger::{stores_payload, Entry, GENESIS_HASH};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger)]
struct Row {
    seq: i64,
    kind: String,
    at: Stamp,
    payload: Option<String>,
    hash: Vec<u8>,
}

/// An entry as stored: `payload` is `None` where it is rebuilt from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub seq: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub payload: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Stored {
    /// The full entry, with its payload (stored or rebuilt).
    pub fn into_entry(self, payload: String) -> Entry {
        Entry {
            seq: self.seq,
            kind: self.kind,
            at: self.at,
            payload,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// The last entry's (seq, hash), if the ledger is not empty. On PostgreSQL one round-trip with
/// `ORDER BY seq DESC LIMIT 1`; on SQLite, where a bound LIMIT costs a re-prepare (see the
/// module note) and a query costs no round-trip, two indexed lookups.
pub fn head(conn: &mut DbConn) -> QueryResult<Option<(i64, String)>> {
    let found: Option<(i64, Vec<u8>)> = if let DbConn::Pg(_) = conn {
        ledger::table
            .order(ledger::seq.desc())
            .select((ledger::seq, ledger::hash))
            .first(conn)
            .optional()?
    } else {
        let last: Option<i64> = ledger::table.select(max(ledger::seq)).get_result(conn)?;
        let Some(seq) = last else { return Ok(None) };
        ledger::table
            .find(seq)
            .select((ledger::seq, ledger::hash))
            .get_result(conn)
            .optional()?
    };
    Ok(found.map(|(seq, hash)| (seq, hex::encode(hash))))
}

/// Appends entries already chained, in as few statements as the chunk size allows.
pub fn insert_many(conn: &mut DbConn, entries: &[Entry]) -> QueryResult<()> {
    for chunk in super::chunks(entries) {
        let values: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    ledger::seq.eq(e.seq),
                    ledger::kind.eq(e.kind.clone()),
                    ledger::at.eq(db_stamp(e.at)),
                    ledger::payload.eq(stores_payload(&e.kind).then(|| e.payload.clone())),
                    // Our own hashes are always 64 hex digits.
                    ledger::hash.eq(hex::decode(&e.hash).unwrap_or_default()),
                )
            })
            .collect();
        super::insert_rows!(conn, ledger::table, values)?;
    }
    Ok(())
}

/// Up to `limit` entries with `seq > after`, in order, each with the hash of the entry stored
/// before it as `prev_hash` (64 zeros for the first entry; empty when nothing is stored before
/// it, which `ledger verify` reports as a break).
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<Stored>> {
    let limit = limit.clamp(0, super::MAX_PAGE);
    // One row more, from `after` itself, supplies the first entry's prev_hash.
    let rows: Vec<Row> = ledger::table
        .filter(ledger::seq.ge(after))
        .order(ledger::seq.asc())
        .limit(limit + 1)
        .select(Row::as_select())
        .load(conn)?;
    let mut prev = match rows.first() {
        Some(r) if r.seq == after => Some(hex::encode(&r.hash)),
        _ => None,
    };
    if prev.is_none() && after <= 0 {
        prev = Some(GENESIS_HASH.to_string());
    }
    let skip = usize::from(rows.first().is_some_and(|r| r.seq == after));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.into_iter().skip(skip).take(limit as usize) {
        let hash = hex::encode(&r.hash);
        out.push(Stored {
            seq: r.seq,
            kind: r.kind,
            at: r.at.utc(),
            payload: r.payload,
            prev_hash: prev.replace(hash.clone()).unwrap_or_default(),
            hash,
        });
    }
    Ok(out)
}

/// Whether any entry is of `kind` (an index covers the kinds asked about: see migration 9).
pub fn has_kind(conn: &mut DbConn, kind: &str) -> QueryResult<bool> {
    Ok(ledger::table
        .filter(ledger::kind.eq(kind))
        .select(ledger::seq)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}
