//! The `reputation_runs` table: each recompute's run of a topic, the current run of each topic,
//! and the daily snapshots kept for history. Their scores are in `parts`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{reputation_parts, reputation_runs};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = reputation_runs)]
pub struct Run {
    pub id: i32,
    pub topic_id: i32,
    pub computed_at: NaiveDateTime,
    pub users: i32,
    pub endorsements: i64,
    pub iterations: i32,
    pub params: String,
    pub is_current: bool,
    pub is_snapshot: bool,
}

/// A run being written: not current, not a snapshot, until `make_current`.
pub fn insert_run(
    conn: &mut DbConn,
    topic: i32,
    computed_at: NaiveDateTime,
    users: i32,
    endorsements: i64,
    iterations: i32,
    params: &str,
) -> QueryResult<i32> {
    diesel::insert_into(reputation_runs::table)
        .values((
            reputation_runs::topic_id.eq(topic),
            reputation_runs::computed_at.eq(computed_at),
            reputation_runs::users.eq(users),
            reputation_runs::endorsements.eq(endorsements),
            reputation_runs::iterations.eq(iterations),
            reputation_runs::params.eq(params),
            reputation_runs::is_current.eq(false),
            reputation_runs::is_snapshot.eq(false),
        ))
        .returning(reputation_runs::id)
        .get_result(conn)
}

/// The topic's current run, if it has been computed.
pub fn current_run(conn: &mut DbConn, topic: i32) -> QueryResult<Option<Run>> {
    reputation_runs::table
        .filter(reputation_runs::topic_id.eq(topic))
        .filter(reputation_runs::is_current.eq(true))
        .select(Run::as_select())
        .get_result(conn)
        .optional()
}

/// Makes `run` the topic's current run; the one it replaces is returned, and kept as a snapshot
/// when `snapshot` says so. The new run is a snapshot when it is the topic's first of its day.
pub fn make_current(conn: &mut DbConn, run: &Run) -> QueryResult<Option<Run>> {
    let old = current_run(conn, run.topic_id)?;
    let day_start = run
        .computed_at
        .date()
        .and_hms_opt(0, 0, 0)
        .unwrap_or(run.computed_at);
    let snapshot_today: i64 = reputation_runs::table
        .filter(reputation_runs::topic_id.eq(run.topic_id))
        .filter(reputation_runs::is_snapshot.eq(true))
        .filter(reputation_runs::computed_at.ge(day_start))
        .count()
        .get_result(conn)?;
    if let Some(old) = &old {
        diesel::update(reputation_runs::table.find(old.id))
            .set(reputation_runs::is_current.eq(false))
            .execute(conn)?;
    }
    diesel::update(reputation_runs::table.find(run.id))
        .set((
            reputation_runs::is_current.eq(true),
            reputation_runs::is_snapshot.eq(snapshot_today == 0),
        ))
        .execute(conn)?;
    Ok(old)
}

/// Runs neither current nor kept as snapshots, computed before `before`: superseded, or left
/// half-written by a recompute that died.
pub fn stale_runs(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<Vec<i32>> {
    reputation_runs::table
        .filter(reputation_runs::is_current.eq(false))
        .filter(reputation_runs::is_snapshot.eq(false))
        .filter(reputation_runs::computed_at.lt(before))
        .select(reputation_runs::id)
        .load(conn)
}

/// Snapshots (kept for history, not current) computed before `before`.
pub fn expired_snapshots(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<Vec<i32>> {
    reputation_runs::table
        .filter(reputation_runs::is_current.eq(false))
        .filter(reputation_runs::is_snapshot.eq(true))
        .filter(reputation_runs::computed_at.lt(before))
        .select(reputation_runs::id)
        .load(conn)
}

/// The runs with these ids.
pub fn runs(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<Run>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        out.extend(
            reputation_runs::table
                .filter(reputation_runs::id.eq_any(chunk))
                .select(Run::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Deletes runs with whatever score parts they still have. Meant for runs small enough together
/// to go in one statement each (see the recompute's `USERS_PER_TX`).
pub fn delete_runs(conn: &mut DbConn, ids: &[i32]) -> QueryResult<()> {
    diesel::delete(reputation_parts::table.filter(reputation_parts::run_id.eq_any(ids)))
        .execute(conn)?;
    diesel::delete(reputation_runs::table.filter(reputation_runs::id.eq_any(ids)))
        .execute(conn)
        .map(drop)
}

/// Each topic's size in its current run (endorsements that counted), largest first.
pub fn current_sizes(conn: &mut DbConn) -> QueryResult<Vec<(i32, i64)>> {
    reputation_runs::table
        .filter(reputation_runs::is_current.eq(true))
        .select((reputation_runs::topic_id, reputation_runs::endorsements))
        .order(reputation_runs::endorsements.desc())
        .load(conn)
}
