//! The `idempotency_keys` table: the first response to each (API key, Idempotency-Key).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::idempotency_keys;
use crate::db::DbConn;

/// A remembered response.
#[derive(Debug, Clone, Queryable)]
pub struct Record {
    pub request_hash: String,
    pub status_code: i32,
    pub response_body: String,
}

pub fn find(conn: &mut DbConn, api_key_id: i32, key: &str) -> QueryResult<Option<Record>> {
    idempotency_keys::table
        .find((api_key_id, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
        ))
        .get_result(conn)
        .optional()
}

/// A response to remember.
#[derive(Debug, Clone)]
pub struct New {
    pub api_key_id: i32,
    pub key: String,
    pub record: Record,
    pub at: DateTime<Utc>,
}

pub fn insert_many(conn: &mut DbConn, rows: &[New]) -> QueryResult<()> {
    for chunk in super::chunks(rows) {
        let values: Vec<_> = chunk
            .iter()
            .map(|n| {
                (
                    idempotency_keys::api_key_id.eq(n.api_key_id),
                    idempotency_keys::idem_key.eq(n.key.clone()),
                    idempotency_keys::request_hash.eq(n.record.request_hash.clone()),
                    idempotency_keys::status_code.eq(n.record.status_code),
                    idempotency_keys::response_body.eq(n.record.response_body.clone()),
                    idempotency_keys::created_at.eq(db_time(n.at)),
                )
            })
            .collect();
        super::insert_rows!(conn, idempotency_keys::table, values)?;
    }
    Ok(())
}

pub fn insert(
    conn: &mut DbConn,
    api_key_id: i32,
    key: &str,
    rec: &Record,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::api_key_id.eq(api_key_id),
            idempotency_keys::idem_key.eq(key),
            idempotency_keys::request_hash.eq(&rec.request_hash),
            idempotency_keys::status_code.eq(rec.status_code),
            idempotency_keys::response_body.eq(&rec.response_body),
            idempotency_keys::created_at.eq(db_time(at)),
        ))
        .execute(conn)
        .map(drop)
}
