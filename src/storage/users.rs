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
        .first(conn)
        .optional()
}

pub fn find_id(conn: &mut DbConn, handle: &str) -> QueryResult<Option<i32>> {
    users::table
        .filter(users::handle.eq(handle))
        .select(users::id)
        .first(conn)
        .optional()
}

/// The user's id, inserting the user first if the handle is new. Call under the write lock.
pub fn get_or_create(conn: &mut DbConn, handle: &str, at: DateTime<Utc>) -> QueryResult<i32> {
    if let Some(id) = find_id(conn, handle)? {
        return Ok(id);
    }
    diesel::insert_into(users::table)
        .values((users::handle.eq(handle), users::created_at.eq(db_time(at))))
        .returning(users::id)
        .get_result(conn)
}
