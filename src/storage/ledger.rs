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

/// An entry as a reader of changes needs it: no hashes, no time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: String,
    /// `None` where it is rebuilt from a row (see `domain::ledger::stores_payload`).
    pub payload: Option<String>,
}

/// Up to `limit` entries with `seq > after`, in order, without their hashes: for readers that
/// follow what changed (the reputation worker reads every entry any instance writes, and
/// spelling each hash twice in hex was most of its reading).
pub fn changes(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<Change>> {
    let rows: Vec<(i64, String, Option<String>)> = ledger::table
        .filter(ledger::seq.gt(after))
        .order(ledger::seq.asc())
        .limit(limit.clamp(0, super::MAX_PAGE))
        .select((ledger::seq, ledger::kind, ledger::payload))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, kind, payload)| Change { seq, kind, payload })
        .collect())
}

/// What a filtered page of the ledger keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.kind.is_none() && self.since.is_none() && self.until.is_none()
    }
}

/// Up to `limit` entries with `seq > after` that `filter` keeps, in order, each with the hash of
/// the entry before it in the chain as `prev_hash` (read in one more query: seqs have no gaps).
pub fn filtered_page(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
    filter: &Filter,
) -> QueryResult<Vec<Stored>> {
    let mut q = ledger::table
        .filter(ledger::seq.gt(after))
        .order(ledger::seq.asc())
        .limit(limit.clamp(0, super::MAX_PAGE))
        .select(Row::as_select())
        .into_boxed();
    if let Some(kind) = &filter.kind {
        q = q.filter(ledger::kind.eq(kind.clone()));
        if kind != crate::domain::ledger::ENDORSEMENT_CREATED {
            // Spelled out so that SQLite, too, sees that `ledger_other_kinds` (migration 10)
            // holds every row asked for: rare kinds are found without scanning the chain.
            q = q.filter(ledger::kind.ne(crate::domain::ledger::ENDORSEMENT_CREATED));
        }
    }
    if let Some(since) = filter.since {
        q = q.filter(ledger::at.ge(db_stamp(since)));
    }
    if let Some(until) = filter.until {
        q = q.filter(ledger::at.lt(db_stamp(until)));
    }
    let rows: Vec<Row> = q.load(conn)?;
    let before: Vec<i64> = rows.iter().map(|r| r.seq - 1).collect();
    let prev: std::collections::HashMap<i64, Vec<u8>> = ledger::table
        .filter(ledger::seq.eq_any(&before))
        .select((ledger::seq, ledger::hash))
        .load::<(i64, Vec<u8>)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let prev_hash = match prev.get(&(r.seq - 1)) {
                Some(h) => hex::encode(h),
                None if r.seq == 1 => GENESIS_HASH.to_string(),
                None => String::new(),
            };
            Stored {
                seq: r.seq,
                kind: r.kind,
                at: r.at.utc(),
                payload: r.payload,
                prev_hash,
                hash: hex::encode(&r.hash),
            }
        })
        .collect())
}

/// Whether any entry is of `kind`, one that is not `endorsement.created` (`ledger_other_kinds`,
/// migration 10, covers those).
pub fn has_kind(conn: &mut DbConn, kind: &str) -> QueryResult<bool> {
    Ok(ledger::table
        .filter(ledger::kind.eq(kind))
        .filter(ledger::kind.ne(crate::domain::ledger::ENDORSEMENT_CREATED))
        .select(ledger::seq)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}
