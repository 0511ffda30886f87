//! The `users` table: handles, created on first use.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::{endorsements, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i32,
    pub handle: String,
    pub created_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, handle: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::handle.eq(handle))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_id(conn: &mut DbConn, handle: &str) -> QueryResult<Option<i32>> {
    users::table
        .filter(users::handle.eq(handle))
        .select(users::id)
        .get_result(conn)
        .optional()
}

/// A user's id with the count of status changes among the endorsements they received (the
/// explain cache's key: see [`received_changed`]).
pub fn find_with_changes(conn: &mut DbConn, handle: &str) -> QueryResult<Option<(i32, i64)>> {
    users::table
        .filter(users::handle.eq(handle))
        .select((users::id, users::received_changes))
        .get_result(conn)
        .optional()
}

/// Counts a change of endorsement `id`'s status against its endorsee, in the caller's
/// transaction: an explanation cached before it is then not served again, by any instance.
pub fn received_changed(conn: &mut DbConn, endorsement: i64) -> QueryResult<()> {
    let endorsee = endorsements::table
        .filter(endorsements::id.eq(endorsement))
        .select(endorsements::endorsee_id);
    diesel::update(users::table.filter(users::id.eq_any(endorsee)))
        .set(users::received_changes.eq(users::received_changes + 1))
        .execute(conn)
        .map(drop)
}

/// Counts a change against everyone who received an endorsement in `topic` (a merge moves
/// them all).
pub fn received_changed_in_topic(conn: &mut DbConn, topic: i32) -> QueryResult<()> {
    let endorsees = endorsements::table
        .filter(endorsements::topic_id.eq(topic))
        .select(endorsements::endorsee_id);
    diesel::update(users::table.filter(users::id.eq_any(endorsees)))
        .set(users::received_changes.eq(users::received_changes + 1))
        .execute(conn)
        .map(drop)
}

/// The handle of a user id.
pub fn handle_of(conn: &mut DbConn, id: i32) -> QueryResult<String> {
    users::table.find(id).select(users::handle).get_result(conn)
}

/// The handles of these user ids, as `(id, handle)`; unknown ids are left out.
pub fn handles(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<(i32, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::handle))
        .load(conn)
}

/// A user the writer has given an id.
#[derive(Debug, Clone)]
pub struct New {
    pub id: i32,
    pub handle: String,
    pub created_at: DateTime<Utc>,
}

/// Adds users with the ids the writer gave them.
pub fn insert_many(conn: &mut DbConn, rows: &[New]) -> QueryResult<()> {
    for chunk in super::chunks(rows) {
        let values: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    users::id.eq(u.id),
                    users::handle.eq(u.handle.clone()),
                    users::created_at.eq(db_time(u.created_at)),
                )
            })
            .collect();
        super::insert_rows!(conn, users::table, values)?;
    }
    match rows.iter().map(|u| u.id).max() {
        Some(max) => super::sync_sequence(conn, "users", max),
        None => Ok(()),
    }
}

/// Every user's id and handle, by id, in pages of `limit` after `after`.
pub fn page_ids(conn: &mut DbConn, after: i32, limit: i64) -> QueryResult<Vec<(i32, String)>> {
    users::table
        .filter(users::id.gt(after))
        .order(users::id.asc())
        .limit(limit)
        .select((users::id, users::handle))
        .load(conn)
}

/// Users with an id above `after`, in id order, with when each was first seen.
pub fn page_created(
    conn: &mut DbConn,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<(i32, String, chrono::NaiveDateTime)>> {
    users::table
        .filter(users::id.gt(after))
        .order(users::id.asc())
        .limit(limit)
        .select((users::id, users::handle, users::created_at))
        .load(conn)
}
