//! The `key_usage` table: per-minute request counts of keys with a global quota.

use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::db::schema::key_usage;
use crate::db::DbConn;

#[derive(QueryableByName)]
struct Used {
    #[diesel(sql_type = Integer)]
    used: i32,
}

/// The counts of `minute - 1` and `minute` for `key_id` (0 where none was kept).
pub fn around(conn: &mut DbConn, key_id: i32, minute: i64) -> QueryResult<(u32, u32)> {
    let rows: Vec<(i64, i32)> = key_usage::table
        .filter(key_usage::key_id.eq(key_id))
        .filter(key_usage::minute.ge(minute - 1))
        .filter(key_usage::minute.le(minute))
        .select((key_usage::minute, key_usage::used))
        .load(conn)?;
    let of = |m: i64| {
        rows.iter()
            .find(|r| r.0 == m)
            .map_or(0, |r| r.1.max(0) as u32)
    };
    Ok((of(minute - 1), of(minute)))
}

/// Counts one request of `key_id` in `minute` unless the count already reached `room`; returns
/// the new count, or `None` when it had no room. One statement, atomic per row on both
/// backends, so instances counting at once never pass `room` together. The first request of a
/// minute also drops the key's counters older than the previous minute.
pub fn count_one(
    conn: &mut DbConn,
    key_id: i32,
    minute: i64,
    room: u32,
) -> QueryResult<Option<u32>> {
    if room == 0 {
        return Ok(None);
    }
    // Integers only are formatted into the statement.
    let sql = format!(
        "INSERT INTO key_usage (key_id, minute, used) VALUES ({key_id}, {minute}, 1) \
         ON CONFLICT (key_id, minute) DO UPDATE SET used = key_usage.used + 1 \
         WHERE key_usage.used < {room} RETURNING used"
    );
    let rows: Vec<Used> = diesel::sql_query(sql).load(conn)?;
    let Some(used) = rows.first().map(|r| r.used.max(0) as u32) else {
        return Ok(None);
    };
    if used == 1 {
        diesel::delete(
            key_usage::table
                .filter(key_usage::key_id.eq(key_id))
                .filter(key_usage::minute.lt(minute - 1)),
        )
        .execute(conn)?;
    }
    Ok(Some(used))
}
