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
