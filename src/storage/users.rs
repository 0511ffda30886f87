//! The `users` table: handles, created on first use.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::users;
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

/// The handle of a user id.
pub fn handle_of(conn: &mut DbConn, id: i32) -> QueryResult<String> {
    users::table.find(id).select(users::handle).get_result(conn)
}

/// The ids of two handles, in one query; `None` for a handle not used yet.
pub fn find_pair(conn: &mut DbConn, a: &str, b: &str) -> QueryResult<(Option<i32>, Option<i32>)> {
    let rows: Vec<(i32, String)> = users::table
        .filter(users::handle.eq(a).or(users::handle.eq(b)))
        .select((users::id, users::handle))
        .load(conn)?;
    let id_of = |h: &str| {
        rows.iter()
            .find(|(_, handle)| handle == h)
            .map(|(id, _)| *id)
    };
    Ok((id_of(a), id_of(b)))
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
    for chunk in rows.chunks(super::INSERT_CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    users::id.eq(u.id),
                    users::handle.eq(&u.handle),
                    users::created_at.eq(db_time(u.created_at)),
                )
            })
            .collect();
        super::per_backend!(&mut *conn, |c| diesel::insert_into(users::table)
            .values(values)
            .execute(c))?;
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

/// Adds a user first seen at `at`; returns its id.
pub fn insert(conn: &mut DbConn, handle: &str, at: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(users::table)
        .values((users::handle.eq(handle), users::created_at.eq(db_time(at))))
        .returning(users::id)
        .get_result(conn)
}

/// The id of `handle`, adding the user (first seen at `at`) if new.
pub fn find_or_insert(conn: &mut DbConn, handle: &str, at: DateTime<Utc>) -> QueryResult<i32> {
    match find_id(conn, handle)? {
        Some(id) => Ok(id),
        None => insert(conn, handle, at),
    }
}
