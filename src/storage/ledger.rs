//! The ledger: append and read hash-chained entries.
//!
//! Stored compactly: the hash as 32 bytes, no `prev_hash` (it is the previous entry's hash, filled
//! in on reading), and no payload for the kinds whose payload is rebuilt from a row
//! ([`stores_payload`]); the service puts those back (`service::ledger::page`). Entries live in
//! three places, read as one chain by seq: `endorsement.created` entries on the endorsement rows
//! they created, `flag.raised` entries on the flags they raised (their payload rebuilt here, from
//! the flag row alone) ([`in_table`]), every other kind in the `ledger` table.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::dsl::{max, sql};
use diesel::prelude::*;

use super::db_stamp;
use crate::db::instant::{Instant, Stamp};
use crate::db::schema::{endorsements, flags, ledger};
use crate::db::DbConn;
use crate::domain::ledger::{
    stores_payload, Entry, FlagRaised, Payload, ENDORSEMENT_CREATED, FLAG_RAISED, GENESIS_HASH,
};

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

/// The last entry's (seq, hash), if the ledger is not empty: the latest of the ledger table's
/// last entry, the last endorsement row's and the last flag row's.
pub fn head(conn: &mut DbConn) -> QueryResult<Option<(i64, String)>> {
    let found = if let DbConn::Pg(_) = conn {
        pg_head(conn)?
    } else {
        let others = table_head(conn)?.max(rows_head(conn)?);
        let above = others.as_ref().map_or(0, |(seq, _)| *seq);
        others.max(flags_head(conn, above)?)
    };
    Ok(found.map(|(seq, hash)| (seq, hex::encode(hash))))
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    hash: Vec<u8>,
}

/// On PostgreSQL, the three places in one round trip: the writer reads the head before every
/// batch. Flags are looked at above the other two only (see [`flags_head`]). Kept prepared:
/// planning this text took longer than running it (1.1 ms against 0.2 in `EXPLAIN ANALYZE`).
fn pg_head(conn: &mut DbConn) -> QueryResult<Option<(i64, Vec<u8>)>> {
    let found: Option<Head> = super::prepared::Prepared::new(
        "WITH others AS ( \
             (SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1) \
             UNION ALL \
             (SELECT id, entry_hash FROM endorsements WHERE entry_hash IS NOT NULL \
              ORDER BY id DESC LIMIT 1)) \
         (SELECT seq, hash FROM others) \
         UNION ALL \
         (SELECT id, entry_hash FROM flags WHERE entry_hash IS NOT NULL \
          AND id > (SELECT COALESCE(MAX(seq), 0) FROM others) ORDER BY id DESC LIMIT 1) \
         ORDER BY 1 DESC LIMIT 1",
    )
    .get_result(conn)
    .optional()?;
    Ok(found.map(|h| (h.seq, h.hash)))
}

/// The ledger table's last entry, on SQLite, where a bound LIMIT costs a re-prepare (see the
/// module note) and a query costs no round trip: two indexed lookups.
fn table_head(conn: &mut DbConn) -> QueryResult<Option<(i64, Vec<u8>)>> {
    let last: Option<i64> = ledger::table.select(max(ledger::seq)).get_result(conn)?;
    let Some(seq) = last else { return Ok(None) };
    ledger::table
        .find(seq)
        .select((ledger::seq, ledger::hash))
        .get_result(conn)
        .optional()
}

/// The last endorsement row that holds its created entry, on SQLite. Every row the writer
/// inserts holds one, so the last row is looked at first; only a row without one (written by
/// hand: `ledger verify` reports it) sends the search down the table.
fn rows_head(conn: &mut DbConn) -> QueryResult<Option<(i64, Vec<u8>)>> {
    let last: Option<i64> = endorsements::table
        .select(max(endorsements::id))
        .get_result(conn)?;
    let Some(id) = last else { return Ok(None) };
    let hash: Option<Vec<u8>> = endorsements::table
        .find(id)
        .select(endorsements::entry_hash)
        .get_result(conn)?;
    if let Some(hash) = hash {
        return Ok(Some((id, hash)));
    }
    endorsements::table
        .filter(endorsements::entry_hash.is_not_null())
        .order(endorsements::id.desc())
        .select((endorsements::id, endorsements::entry_hash.assume_not_null()))
        .first(conn)
        .optional()
}

/// The last flag row above `above` that holds its raised entry, on SQLite. Only a flag above
/// the other two places' head can be the head, which keeps the search short where flags raised
/// before migration 21 (whose entries are in the ledger table) hold none.
fn flags_head(conn: &mut DbConn, above: i64) -> QueryResult<Option<(i64, Vec<u8>)>> {
    let last: Option<i64> = flags::table
        .filter(flags::id.gt(above))
        .filter(flags::entry_hash.is_not_null())
        .select(max(flags::id))
        .get_result(conn)?;
    let Some(id) = last else { return Ok(None) };
    flags::table
        .find(id)
        .select((flags::id, flags::entry_hash.assume_not_null()))
        .get_result(conn)
        .optional()
}

/// Whether entries of `kind` are rows of the ledger table. `endorsement.created` entries are
/// kept on the endorsement row they created (its hash in `entry_hash`, its time in `entry_at`
/// when it is not the row's `created_at`), written with that row by
/// `storage::endorsements::insert_many`: they are most of the chain, and a row of their own
/// cost a second row and index entry for each endorsement. `flag.raised` entries, likewise, are
/// kept on the flag they raised (`storage::flags::insert_many`), which holds their payload.
fn in_table(kind: &str) -> bool {
    kind != ENDORSEMENT_CREATED && kind != FLAG_RAISED
}

/// Appends entries already chained, in as few statements as the chunk size allows; created
/// entries go with their rows (see [`in_table`]).
pub fn insert_many(conn: &mut DbConn, entries: &[Entry]) -> QueryResult<()> {
    let entries: Vec<&Entry> = entries.iter().filter(|e| in_table(&e.kind)).collect();
    for chunk in super::chunks(&entries) {
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

/// A created entry as its endorsement row keeps it: id (= seq), created_at, entry_at, hash.
type RowEntry = (i64, Stamp, Option<Stamp>, Vec<u8>);

fn row_entry((seq, created_at, entry_at, hash): RowEntry) -> Row {
    Row {
        seq,
        kind: ENDORSEMENT_CREATED.to_string(),
        at: entry_at.unwrap_or(created_at),
        payload: None,
        hash,
    }
}

type RowEntryColumns = (
    endorsements::id,
    endorsements::created_at,
    endorsements::entry_at,
    diesel::dsl::AssumeNotNull<endorsements::entry_hash>,
);

/// The columns of a [`RowEntry`].
fn row_entry_columns() -> RowEntryColumns {
    (
        endorsements::id,
        endorsements::created_at,
        endorsements::entry_at,
        endorsements::entry_hash.assume_not_null(),
    )
}

/// Up to `limit` created entries kept on endorsement rows with `seq >= from`, in order.
fn row_entries(conn: &mut DbConn, from: i64, limit: i64) -> QueryResult<Vec<Row>> {
    let rows: Vec<RowEntry> = endorsements::table
        .filter(endorsements::id.ge(from))
        .filter(endorsements::entry_hash.is_not_null())
        .order(endorsements::id.asc())
        .limit(limit)
        .select(row_entry_columns())
        .load(conn)?;
    Ok(rows.into_iter().map(row_entry).collect())
}

/// A raised entry as its flag row keeps it: id (= seq), endorsement, reason, score, evidence,
/// created_at (= the entry's time), hash, and the endorsement's status once raised.
type FlagEntry = (
    i64,
    i64,
    String,
    f64,
    String,
    chrono::NaiveDateTime,
    Vec<u8>,
    Option<String>,
);

type FlagEntryColumns = (
    flags::id,
    flags::endorsement_id,
    flags::reason,
    flags::score,
    flags::evidence,
    flags::created_at,
    diesel::dsl::AssumeNotNull<flags::entry_hash>,
    flags::entry_status,
);

/// The columns of a [`FlagEntry`].
fn flag_entry_columns() -> FlagEntryColumns {
    (
        flags::id,
        flags::endorsement_id,
        flags::reason,
        flags::score,
        flags::evidence,
        flags::created_at,
        flags::entry_hash.assume_not_null(),
        flags::entry_status,
    )
}

/// The entry a flag row keeps, its payload rebuilt from the row. A row changed behind plusk's
/// back (evidence that is no longer JSON, a status gone) rebuilds a payload its hash no longer
/// matches, and `ledger verify` reports the break at that entry.
fn flag_entry((seq, endorsement_id, reason, score, evidence, at, hash, status): FlagEntry) -> Row {
    let payload = FlagRaised {
        id: seq,
        endorsement_id,
        reason,
        score,
        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
        endorsement_status: status.unwrap_or_default(),
    };
    Row {
        seq,
        kind: FLAG_RAISED.to_string(),
        at: Stamp::from_utc(at.and_utc()),
        payload: Some(payload.canonical()),
        hash,
    }
}

/// Up to `limit` raised entries kept on flag rows with `seq >= from`, in order.
fn flag_entries(conn: &mut DbConn, from: i64, limit: i64) -> QueryResult<Vec<Row>> {
    let rows: Vec<FlagEntry> = flags::table
        .filter(flags::id.ge(from))
        .filter(flags::entry_hash.is_not_null())
        .order(flags::id.asc())
        .limit(limit)
        .select(flag_entry_columns())
        .load(conn)?;
    Ok(rows.into_iter().map(flag_entry).collect())
}

/// Merges the lists of the three places entries live, each ordered by seq, into one, keeping
/// the first `limit`.
fn merged3<T>(lists: [Vec<T>; 3], limit: usize, seq: impl Fn(&T) -> i64 + Copy) -> Vec<T> {
    let [a, b, c] = lists;
    merged(merged(a, b, limit, seq), c, limit, seq)
}

/// Merges two lists ordered by seq into one, keeping the first `limit`.
fn merged<T>(a: Vec<T>, b: Vec<T>, limit: usize, seq: impl Fn(&T) -> i64) -> Vec<T> {
    let mut out = Vec::with_capacity(limit.min(a.len() + b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while out.len() < limit {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if seq(x) <= seq(y) => a.next(),
            (Some(_), Some(_)) | (None, _) => b.next(),
            (Some(_), None) => a.next(),
        };
        match next {
            Some(r) => out.push(r),
            None => break,
        }
    }
    out
}

/// Up to `limit` entries with `seq > after`, in order, each with the hash of the entry stored
/// before it as `prev_hash` (64 zeros for the first entry; empty when nothing is stored before
/// it, which `ledger verify` reports as a break).
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<Stored>> {
    let limit = limit.clamp(0, super::MAX_PAGE);
    // One row more, from `after` itself, supplies the first entry's prev_hash.
    let in_ledger: Vec<Row> = ledger::table
        .filter(ledger::seq.ge(after))
        .order(ledger::seq.asc())
        .limit(limit + 1)
        .select(Row::as_select())
        .load(conn)?;
    let from_rows = row_entries(conn, after, limit + 1)?;
    let from_flags = flag_entries(conn, after, limit + 1)?;
    let n = limit as usize + 1;
    let rows = merged3([in_ledger, from_rows, from_flags], n, |r| r.seq);
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
    /// `None` for an entry kept on a row: its payload is not rebuilt here.
    pub payload: Option<String>,
    /// For an entry kept on a row, the endorsement it is about (a created entry's own, a raised
    /// entry's flagged one): what readers of changes want of it, without rebuilding its payload.
    pub endorsement: Option<i64>,
}

/// Up to `limit` entries with `seq > after`, in order, without their hashes: for readers that
/// follow what changed (the reputation worker reads every entry any instance writes, and
/// spelling each hash twice in hex was most of its reading). Endorsement rows are read from
/// ids above `rows_after` only, when that is higher than `after` (see [`last_row`]).
pub fn changes(
    conn: &mut DbConn,
    after: i64,
    rows_after: i64,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let limit = limit.clamp(0, super::MAX_PAGE);
    let in_ledger: Vec<Change> = ledger::table
        .filter(ledger::seq.gt(after))
        .order(ledger::seq.asc())
        .limit(limit)
        .select((ledger::seq, ledger::kind, ledger::payload))
        .load::<(i64, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(seq, kind, payload)| Change {
            seq,
            kind,
            payload,
            endorsement: None,
        })
        .collect();
    let on_rows: Vec<Change> = endorsements::table
        .filter(endorsements::id.gt(after.max(rows_after)))
        .filter(endorsements::entry_hash.is_not_null())
        .order(endorsements::id.asc())
        .limit(limit)
        .select(endorsements::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(|seq| Change {
            seq,
            kind: ENDORSEMENT_CREATED.to_string(),
            payload: None,
            endorsement: Some(seq),
        })
        .collect();
    let on_flags: Vec<Change> = flags::table
        .filter(flags::id.gt(after))
        .filter(flags::entry_hash.is_not_null())
        .order(flags::id.asc())
        .limit(limit)
        .select((flags::id, flags::endorsement_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(seq, endorsement)| Change {
            seq,
            kind: FLAG_RAISED.to_string(),
            payload: None,
            endorsement: Some(endorsement),
        })
        .collect();
    let n = limit as usize;
    Ok(merged3([in_ledger, on_rows, on_flags], n, |c| c.seq))
}

/// The largest endorsement id, 0 for none. A reader of changes that starts here skips rows
/// that were there before it started: rows without a created entry (a database filled by
/// other means than plusk's writer) are never a change, and finding that out scanned every
/// one of them on each look, 35 ms a look at a million rows. A row written later has a larger
/// id: the writer gives a row its entry's seq, past every id there is.
pub fn last_row(conn: &mut DbConn) -> QueryResult<i64> {
    let last: Option<i64> = endorsements::table
        .select(max(endorsements::id))
        .get_result(conn)?;
    Ok(last.unwrap_or(0))
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
    let limit = limit.clamp(0, super::MAX_PAGE);
    let kind = filter.kind.as_deref();
    let in_ledger = table_filtered(conn, after, limit, filter)?;
    let on_rows = match kind {
        None | Some(ENDORSEMENT_CREATED) => rows_filtered(conn, after, limit, filter)?,
        Some(_) => Vec::new(),
    };
    let on_flags = match kind {
        None | Some(FLAG_RAISED) => flags_filtered(conn, after, limit, filter)?,
        Some(_) => Vec::new(),
    };
    let n = limit as usize;
    let rows = merged3([in_ledger, on_rows, on_flags], n, |r| r.seq);
    let before: Vec<i64> = rows.iter().map(|r| r.seq - 1).collect();
    let mut prev: HashMap<i64, Vec<u8>> = ledger::table
        .filter(ledger::seq.eq_any(&before))
        .select((ledger::seq, ledger::hash))
        .load::<(i64, Vec<u8>)>(conn)?
        .into_iter()
        .collect();
    prev.extend(
        endorsements::table
            .filter(endorsements::id.eq_any(&before))
            .filter(endorsements::entry_hash.is_not_null())
            .select((endorsements::id, endorsements::entry_hash.assume_not_null()))
            .load::<(i64, Vec<u8>)>(conn)?,
    );
    prev.extend(
        flags::table
            .filter(flags::id.eq_any(&before))
            .filter(flags::entry_hash.is_not_null())
            .select((flags::id, flags::entry_hash.assume_not_null()))
            .load::<(i64, Vec<u8>)>(conn)?,
    );
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

/// The ledger table's entries that `filter` keeps.
fn table_filtered(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
    filter: &Filter,
) -> QueryResult<Vec<Row>> {
    let mut q = ledger::table
        .filter(ledger::seq.gt(after))
        .order(ledger::seq.asc())
        .limit(limit)
        .select(Row::as_select())
        .into_boxed();
    if let Some(kind) = &filter.kind {
        q = q.filter(ledger::kind.eq(kind.clone()));
        if kind != ENDORSEMENT_CREATED {
            // Spelled out so that SQLite, too, sees that `ledger_other_kinds` (migration 10)
            // holds every row asked for: rare kinds are found without scanning the chain.
            q = q.filter(ledger::kind.ne(ENDORSEMENT_CREATED));
        }
    }
    if let Some(since) = filter.since {
        q = q.filter(ledger::at.ge(db_stamp(since)));
    }
    if let Some(until) = filter.until {
        q = q.filter(ledger::at.lt(db_stamp(until)));
    }
    q.load(conn)
}

/// The created entries kept on endorsement rows that `filter`'s times keep.
fn rows_filtered(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
    filter: &Filter,
) -> QueryResult<Vec<Row>> {
    // The entry's time: its own where it has one, else the row's creation.
    let at = || sql::<Instant>("COALESCE(endorsements.entry_at, endorsements.created_at)");
    let mut q = endorsements::table
        .filter(endorsements::id.gt(after))
        .filter(endorsements::entry_hash.is_not_null())
        .order(endorsements::id.asc())
        .limit(limit)
        .select(row_entry_columns())
        .into_boxed();
    if let Some(since) = filter.since {
        q = q.filter(at().ge(db_stamp(since)));
    }
    if let Some(until) = filter.until {
        q = q.filter(at().lt(db_stamp(until)));
    }
    let rows: Vec<RowEntry> = q.load(conn)?;
    Ok(rows.into_iter().map(row_entry).collect())
}

/// The raised entries kept on flag rows that `filter`'s times keep.
fn flags_filtered(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
    filter: &Filter,
) -> QueryResult<Vec<Row>> {
    let mut q = flags::table
        .filter(flags::id.gt(after))
        .filter(flags::entry_hash.is_not_null())
        .order(flags::id.asc())
        .limit(limit)
        .select(flag_entry_columns())
        .into_boxed();
    if let Some(since) = filter.since {
        q = q.filter(flags::created_at.ge(super::db_time(since)));
    }
    if let Some(until) = filter.until {
        q = q.filter(flags::created_at.lt(super::db_time(until)));
    }
    let rows: Vec<FlagEntry> = q.load(conn)?;
    Ok(rows.into_iter().map(flag_entry).collect())
}

/// Whether any entry is of `kind`, a kind kept in the ledger table (not `endorsement.created`,
/// whose entries `ledger_other_kinds`, migration 10, leaves out, nor `flag.raised`).
pub fn has_kind(conn: &mut DbConn, kind: &str) -> QueryResult<bool> {
    Ok(ledger::table
        .filter(ledger::kind.eq(kind))
        .filter(ledger::kind.ne(ENDORSEMENT_CREATED))
        .select(ledger::seq)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}
