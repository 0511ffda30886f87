//! The `api_keys` table. Only hashes of keys are stored.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::api_keys;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct KeyRow {
    pub id: i32,
    pub name: String,
    pub role: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub rate_per_sec: Option<i32>,
    pub rate_burst: Option<i32>,
    pub global_per_minute: Option<i32>,
}

pub fn insert(
    conn: &mut DbConn,
    name: &str,
    role: &str,
    key_hash: &str,
    at: DateTime<Utc>,
) -> QueryResult<KeyRow> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::role.eq(role),
            api_keys::key_hash.eq(key_hash),
            api_keys::created_at.eq(db_time(at)),
        ))
        .returning(api_keys::id)
        .get_result(conn)
        .map(|id| KeyRow {
            id,
            name: name.to_string(),
            role: role.to_string(),
            key_hash: key_hash.to_string(),
            created_at: db_time(at),
            revoked_at: None,
            rate_per_sec: None,
            rate_burst: None,
            global_per_minute: None,
        })
}

pub fn find_by_hash(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<KeyRow>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .select(KeyRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<KeyRow>> {
    api_keys::table
        .filter(api_keys::name.eq(name))
        .select(KeyRow::as_select())
        .get_result(conn)
        .optional()
}

/// Every key, oldest first.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<KeyRow>> {
    api_keys::table
        .order(api_keys::id.asc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// Marks the key revoked; returns whether a live key was revoked.
pub fn revoke(conn: &mut DbConn, name: &str, at: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::update(api_keys::table)
        .filter(api_keys::name.eq(name))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::revoked_at.eq(Some(db_time(at))))
        .execute(conn)?;
    Ok(n > 0)
}

/// Sets (or with `None`, clears) a live key's own quota; returns whether a live key matched.
/// Sets a live key's quota: `(rate, burst)`, the burst `None` for one second's worth; `None`
/// for the server's defaults.
pub fn set_rate(
    conn: &mut DbConn,
    name: &str,
    rate: Option<(i32, Option<i32>)>,
) -> QueryResult<bool> {
    let n = diesel::update(api_keys::table)
        .filter(api_keys::name.eq(name))
        .filter(api_keys::revoked_at.is_null())
        .set((
            api_keys::rate_per_sec.eq(rate.map(|r| r.0)),
            api_keys::rate_burst.eq(rate.and_then(|r| r.1)),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Sets (`Some`) or removes (`None`) a live key's global quota; returns whether a live key
/// matched.
pub fn set_global(conn: &mut DbConn, name: &str, per_minute: Option<i32>) -> QueryResult<bool> {
    let n = diesel::update(api_keys::table)
        .filter(api_keys::name.eq(name))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::global_per_minute.eq(per_minute))
        .execute(conn)?;
    Ok(n > 0)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    api_keys::table.count().get_result(conn)
}

/// Whether the key with this id exists and is not revoked.
pub fn is_live(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    let n: i64 = api_keys::table
        .filter(api_keys::id.eq(id))
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
