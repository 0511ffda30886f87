//! The `solicitations` table: reported asks, with the classifier's verdict.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_keys, solicitations, topics, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = solicitations)]
pub struct Row {
    pub id: i64,
    pub requester_id: i32,
    pub target_id: Option<i32>,
    pub topic_id: Option<i32>,
    pub text: String,
    pub channel: Option<String>,
    pub observed_at: NaiveDateTime,
    pub begging: bool,
    pub score: f64,
    /// JSON array of cue names.
    pub cues: String,
    pub language: String,
    pub ledger_seq: i64,
    pub created_by: Option<i32>,
}

pub fn insert(conn: &mut DbConn, row: &Row) -> QueryResult<()> {
    diesel::insert_into(solicitations::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Asks observed at or after `from` that beg or name someone (they may beg for them), oldest
/// first: what the writer's model keeps of them.
pub fn asks_since(conn: &mut DbConn, from: NaiveDateTime) -> QueryResult<Vec<Row>> {
    solicitations::table
        // Begging for the requester, or naming someone it may beg for.
        .filter(
            solicitations::begging
                .eq(true)
                .or(solicitations::text.like("%@%")),
        )
        .filter(solicitations::observed_at.ge(from))
        .order(solicitations::observed_at.asc())
        .select(Row::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Row>> {
    solicitations::table
        .find(id)
        .select(Row::as_select())
        .get_result(conn)
        .optional()
}

/// A row with the handles, slug and key name it refers to, as `ledger verify` reads it.
pub type Named = (Row, String, Option<String>, Option<String>, Option<String>);

/// Rows with id above `after_id`, by id, at most `limit`.
pub fn page_named(conn: &mut DbConn, after_id: i64, limit: i64) -> QueryResult<Vec<Named>> {
    let (requester_u, target_u) = diesel::alias!(users as requester_u, users as target_u);
    solicitations::table
        .inner_join(requester_u.on(solicitations::requester_id.eq(requester_u.field(users::id))))
        .left_join(target_u.on(solicitations::target_id.eq(target_u.field(users::id).nullable())))
        .left_join(topics::table)
        .left_join(api_keys::table)
        .filter(solicitations::id.gt(after_id))
        .order(solicitations::id.asc())
        .limit(limit)
        .select((
            Row::as_select(),
            requester_u.field(users::handle),
            target_u.field(users::handle).nullable(),
            topics::slug.nullable(),
            api_keys::name.nullable(),
        ))
        .load(conn)
}

/// Rows in the table, whether or not their references resolve.
pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    solicitations::table.count().get_result(conn)
}

/// When each solicitation `key` reported after `since` was recorded (its ledger entry's time),
/// oldest first.
pub fn reported_since(
    conn: &mut DbConn,
    key: i32,
    since: chrono::DateTime<chrono::Utc>,
) -> QueryResult<Vec<crate::db::instant::Stamp>> {
    use crate::db::schema::ledger;
    solicitations::table
        .inner_join(ledger::table)
        .filter(solicitations::created_by.eq(key))
        .filter(ledger::at.gt(super::db_stamp(since)))
        .select(ledger::at)
        .order(ledger::at.asc())
        .load(conn)
}

/// Which reports a listing shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub requester_id: Option<i32>,
    pub target_id: Option<i32>,
    pub topic_id: Option<i32>,
    /// Newest first: strictly before this (observed_at, id).
    pub before: Option<(NaiveDateTime, i64)>,
    pub limit: i64,
}

/// Reports matching `f`, newest observed first (id breaks ties), with their names.
pub fn list(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<Named>> {
    let (requester_u, target_u) = diesel::alias!(users as requester_u, users as target_u);
    let mut q = solicitations::table
        .inner_join(requester_u.on(solicitations::requester_id.eq(requester_u.field(users::id))))
        .left_join(target_u.on(solicitations::target_id.eq(target_u.field(users::id).nullable())))
        .left_join(topics::table)
        .left_join(api_keys::table)
        .select((
            Row::as_select(),
            requester_u.field(users::handle),
            target_u.field(users::handle).nullable(),
            topics::slug.nullable(),
            api_keys::name.nullable(),
        ))
        .into_boxed();
    if let Some(id) = f.requester_id {
        q = q.filter(solicitations::requester_id.eq(id));
    }
    if let Some(id) = f.target_id {
        q = q.filter(solicitations::target_id.eq(id));
    }
    if let Some(id) = f.topic_id {
        q = q.filter(solicitations::topic_id.eq(id));
    }
    if let Some((at, id)) = f.before {
        q = q.filter(
            solicitations::observed_at
                .lt(at)
                .or(solicitations::observed_at
                    .eq(at)
                    .and(solicitations::id.lt(id))),
        );
    }
    q.order((solicitations::observed_at.desc(), solicitations::id.desc()))
        .limit(f.limit.min(super::MAX_PAGE))
        .load(conn)
}
