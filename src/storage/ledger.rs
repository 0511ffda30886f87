//! The `ledger` table: append and read hash-chained entries.

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::ledger;
use crate::db::DbConn;
use crate::domain::ledger::Entry;
use crate::domain::time::from_db;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger)]
struct Row {
    seq: i64,
    kind: String,
    at: NaiveDateTime,
    payload: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for Entry {
    fn from(r: Row) -> Entry {
        Entry {
            seq: r.seq,
            kind: r.kind,
            at: from_db(r.at),
            payload: r.payload,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// The last entry's (seq, hash), if the ledger is not empty. On PostgreSQL one round-trip with
/// `ORDER BY seq DESC LIMIT 1`; on SQLite, where a bound LIMIT costs a re-prepare (see the
/// module note) and a query costs no round-trip, two indexed lookups.
pub fn head(conn: &mut DbConn) -> QueryResult<Option<(i64, String)>> {
    if let DbConn::Pg(_) = conn {
        return ledger::table
            .order(ledger::seq.desc())
            .select((ledger::seq, ledger::hash))
            .first(conn)
            .optional();
    }
    let last: Option<i64> = ledger::table.select(max(ledger::seq)).get_result(conn)?;
    let Some(seq) = last else { return Ok(None) };
    ledger::table
        .find(seq)
        .select((ledger::seq, ledger::hash))
        .get_result(conn)
        .optional()
}

/// Appends entries already chained, in as few statements as the chunk size allows.
pub fn insert_many(conn: &mut DbConn, entries: &[Entry]) -> QueryResult<()> {
    for chunk in super::chunks(entries) {
        let values: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    ledger::seq.eq(e.seq),
                    ledger::kind.eq(&e.kind),
                    ledger::at.eq(db_time(e.at)),
                    ledger::payload.eq(&e.payload),
                    ledger::prev_hash.eq(&e.prev_hash),
                    ledger::hash.eq(&e.hash),
                )
            })
            .collect();
        super::per_backend!(&mut *conn, |c| diesel::insert_into(ledger::table)
            .values(values)
            .execute(c))?;
    }
    Ok(())
}

/// Up to `limit` entries with `seq > after`, in order.
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<Entry>> {
    let rows: Vec<Row> = ledger::table
        .filter(ledger::seq.gt(after))
        .order(ledger::seq.asc())
        .limit(limit.min(super::MAX_PAGE))
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Entry::from).collect())
}
