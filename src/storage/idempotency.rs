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

/// A stored response with the key it was given to.
#[derive(Debug, Clone, Queryable)]
pub struct Stored {
    pub api_key_id: i32,
    pub key: String,
    pub status_code: i32,
    pub response_body: String,
}

/// Stored responses after `(api_key_id, key)`, in that order, at most `limit`.
pub fn page(
    conn: &mut DbConn,
    after: Option<(i32, String)>,
    limit: i64,
) -> QueryResult<Vec<Stored>> {
    let mut q = idempotency_keys::table
        .order((
            idempotency_keys::api_key_id.asc(),
            idempotency_keys::idem_key.asc(),
        ))
        .limit(limit)
        .select((
            idempotency_keys::api_key_id,
            idempotency_keys::idem_key,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
        ))
        .into_boxed();
    if let Some((id, key)) = after {
        q = q.filter(
            idempotency_keys::api_key_id
                .gt(id)
                .or(idempotency_keys::api_key_id
                    .eq(id)
                    .and(idempotency_keys::idem_key.gt(key))),
        );
    }
    q.load(conn)
}
