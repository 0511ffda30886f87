//! The `solicitations` table: reported asks, with the classifier's verdict.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::solicitations;
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

/// Begging asks by `requester` seen in `[from, to]` aimed at `endorser` or at everyone, about
/// `topic` or no topic in particular.
pub fn asks_before(
    conn: &mut DbConn,
    requester: i32,
    endorser: i32,
    topic: i32,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> QueryResult<Vec<Row>> {
    solicitations::table
        .filter(solicitations::requester_id.eq(requester))
        .filter(solicitations::begging.eq(true))
        .filter(solicitations::observed_at.ge(super::db_time(from)))
        .filter(solicitations::observed_at.le(super::db_time(to)))
        .filter(
            solicitations::target_id
                .eq(endorser)
                .or(solicitations::target_id.is_null()),
        )
        .filter(
            solicitations::topic_id
                .eq(topic)
                .or(solicitations::topic_id.is_null()),
        )
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
