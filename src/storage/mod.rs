//! Storage: the SQL plusk runs, one module per table. Every function takes `&mut DbConn` and runs
//! inside whatever transaction its caller opened; none opens one itself. Errors are plain diesel
//! errors; the service layer decides what they mean.
//!
//! Hot queries avoid `LIMIT ?` (diesel's `.first()`): SQLite looks at a bound LIMIT when it plans
//! the statement, so every new binding forces the cached statement to be prepared again. Lookups
//! by a unique key use `.get_result()` instead.

/// Runs the same diesel statement on the concrete connection of either backend: multi-row
/// INSERTs are not available through the multi-backend connection.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            crate::db::DbConn::Sqlite($c) => $body,
            crate::db::DbConn::Pg($c) => $body,
        }
    };
}
pub(crate) use per_backend;

pub mod endorsements;
pub mod flags;
pub mod idempotency;
pub mod indexes;
pub mod key_usage;
pub mod keys;
pub mod ledger;
pub mod prepared;
pub mod reputation;
pub mod solicitations;
pub mod topic_merge;
pub mod topics;
pub mod users;

use chrono::{DateTime, Utc};

/// Most rows in one multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter
/// limits for the widest table written this way.
const INSERT_CHUNK: usize = 256;

/// Splits rows for multi-row INSERTs into chunks whose sizes are powers of four up to
/// [`INSERT_CHUNK`] (1, 4, 16, 64, 256): few sizes, so [`insert_rows!`] can give each its own
/// cached statement.
pub(crate) fn chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let size = 1 << (rows.len().min(INSERT_CHUNK).ilog2() & !1);
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// Runs one multi-row INSERT of `$rows` (a `Vec` of insertable values whose length is one of the
/// sizes [`chunks`] makes) into `$table` as a fixed-size array. diesel caches the prepared
/// statement of an array insert under its type, where it parses a `Vec` insert's text again on
/// every call (a tenth of the writer's time when it did).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        match rows.len() {
            256 => $crate::storage::insert_rows!(@fixed 256, $conn, $table, rows),
            64 => $crate::storage::insert_rows!(@fixed 64, $conn, $table, rows),
            16 => $crate::storage::insert_rows!(@fixed 16, $conn, $table, rows),
            4 => $crate::storage::insert_rows!(@fixed 4, $conn, $table, rows),
            1 => $crate::storage::insert_rows!(@fixed 1, $conn, $table, rows),
            // Not a size `chunks` makes: still correct, only not cached.
            _ => $crate::storage::per_backend!(&mut *$conn, |c| diesel::insert_into($table)
                .values(rows)
                .execute(c)),
        }
    }};
    (@fixed $n:literal, $conn:expr, $table:expr, $rows:ident) => {{
        let fixed: Box<[_; $n]> = match $rows.into_boxed_slice().try_into() {
            Ok(fixed) => fixed,
            Err(_) => unreachable!("the length was matched"),
        };
        $crate::storage::per_backend!(&mut *$conn, |c| diesel::insert_into($table)
            .values(fixed)
            .execute(c))
    }};
}
pub(crate) use insert_rows;

/// Keeps a PostgreSQL serial column's sequence past ids the writer assigned itself, so an insert
/// that lets the database choose never collides with them. SQLite needs nothing.
pub(crate) fn sync_sequence(
    conn: &mut crate::db::DbConn,
    table: &str,
    max_id: i32,
) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    if let crate::db::DbConn::Pg(_) = conn {
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST({max_id}, (SELECT COALESCE(MAX(id), 1) FROM {table})))"
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// Largest number of rows a single page query returns, whatever the caller asks: the largest
/// page a route serves (1,000) and the one row more that tells whether another page follows.
pub const MAX_PAGE: i64 = 1001;

pub(crate) fn db_time(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    crate::domain::time::to_db(t)
}

/// The stored form of a time in an `Instant` column (endorsements and the ledger).
pub(crate) fn db_stamp(t: DateTime<Utc>) -> crate::db::instant::Stamp {
    crate::db::instant::Stamp::from_utc(t)
}

/// A row holding a value this version does not know (a status, a reason), which is a storage
/// fault, not a client's mistake. Carried inside diesel's `DeserializationError`, so that
/// `ledger verify` can report the row instead of failing.
#[derive(Debug, thiserror::Error)]
#[error("{table} {id}: {detail}")]
pub struct Unreadable {
    pub table: &'static str,
    pub id: i64,
    pub detail: String,
}

impl Unreadable {
    pub(crate) fn error(
        table: &'static str,
        id: i64,
        detail: impl ToString,
    ) -> diesel::result::Error {
        diesel::result::Error::DeserializationError(Box::new(Unreadable {
            table,
            id,
            detail: detail.to_string(),
        }))
    }

    /// The unreadable row behind a read that failed, if that is why it failed.
    pub fn of(e: &diesel::result::Error) -> Option<&Unreadable> {
        match e {
            diesel::result::Error::DeserializationError(inner) => inner.downcast_ref(),
            _ => None,
        }
    }
}

/// A stored status, reason or decision as its domain enum; a value this version does not know
/// is a storage fault, not a client's mistake.
pub(crate) fn parsed<T>(raw: &str) -> diesel::QueryResult<T>
where
    T: std::str::FromStr<Err = crate::domain::Rejection>,
{
    raw.parse().map_err(|e: crate::domain::Rejection| {
        diesel::result::Error::DeserializationError(e.to_string().into())
    })
}
