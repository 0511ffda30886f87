//! The `flags` table: detector findings and their review.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::{api_keys, flags};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = flags)]
pub struct Row {
    pub id: i64,
    pub endorsement_id: i64,
    pub reason: String,
    pub score: f64,
    /// JSON.
    pub evidence: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<i32>,
}

pub fn insert_many(conn: &mut DbConn, rows: &[Row]) -> QueryResult<()> {
    for chunk in super::chunks(rows) {
        super::insert_rows!(conn, flags::table, chunk.to_vec())?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConn, row: &Row) -> QueryResult<()> {
    diesel::insert_into(flags::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Row>> {
    flags::table
        .find(id)
        .select(Row::as_select())
        .get_result(conn)
        .optional()
}

/// Every flag of an endorsement.
pub fn of_endorsement(conn: &mut DbConn, endorsement_id: i64) -> QueryResult<Vec<Row>> {
    flags::table
        .filter(flags::endorsement_id.eq(endorsement_id))
        .select(Row::as_select())
        .load(conn)
}

/// Records a review.
pub fn set_reviewed(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    at: DateTime<Utc>,
    note: Option<&str>,
    by: i32,
) -> QueryResult<()> {
    diesel::update(flags::table.find(id))
        .set((
            flags::status.eq(status),
            flags::reviewed_at.eq(Some(db_time(at))),
            flags::review_note.eq(note),
            flags::reviewed_by.eq(Some(by)),
        ))
        .execute(conn)
        .map(drop)
}

/// Which flags the queue shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub reason: Option<String>,
    pub endorsement_id: Option<i64>,
    /// Highest score first, then oldest: strictly after this (score, id).
    pub after: Option<(f64, i64)>,
    pub limit: i64,
}

/// Open flags of one reason, (id, evidence JSON), oldest first.
pub fn open_with_reason(conn: &mut DbConn, reason: &str) -> QueryResult<Vec<(i64, String)>> {
    flags::table
        .filter(flags::status.eq("open"))
        .filter(flags::reason.eq(reason))
        .order(flags::id.asc())
        .select((flags::id, flags::evidence))
        .load(conn)
}

pub fn list(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<Row>> {
    let mut q = flags::table.select(Row::as_select()).into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(flags::status.eq(s.clone()));
    }
    if let Some(r) = &f.reason {
        q = q.filter(flags::reason.eq(r.clone()));
    }
    if let Some(id) = f.endorsement_id {
        q = q.filter(flags::endorsement_id.eq(id));
    }
    if let Some((score, id)) = f.after {
        q = q.filter(
            flags::score
                .lt(score)
                .or(flags::score.eq(score).and(flags::id.gt(id))),
        );
    }
    q.order((flags::score.desc(), flags::id.asc()))
        .limit(f.limit.min(super::MAX_PAGE))
        .load(conn)
}

/// Rows with id above `after_id`, by id, at most `limit`, each with its reviewer's key name.
pub fn page_named(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<(Row, Option<String>)>> {
    flags::table
        .left_join(api_keys::table)
        .filter(flags::id.gt(after_id))
        .order(flags::id.asc())
        .limit(limit)
        .select((Row::as_select(), api_keys::name.nullable()))
        .load(conn)
}

pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    flags::table.count().get_result(conn)
}
