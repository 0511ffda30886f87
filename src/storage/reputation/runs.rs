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

/// A run to write: not current, not a snapshot, until `make_current`.
#[derive(Debug, Clone, Copy)]
pub struct NewRun<'a> {
    pub topic_id: i32,
    pub computed_at: NaiveDateTime,
    pub users: i32,
    pub endorsements: i64,
    pub iterations: i32,
    pub params: &'a str,
}

impl NewRun<'_> {
    /// The run as the table holds it once written with `id`.
    pub fn stored(&self, id: i32) -> Run {
        Run {
            id,
            topic_id: self.topic_id,
            computed_at: self.computed_at,
            users: self.users,
            endorsements: self.endorsements,
            iterations: self.iterations,
            params: self.params.to_string(),
            is_current: false,
            is_snapshot: false,
        }
    }
}

/// Runs per INSERT (eight values each).
const RUNS_PER_INSERT: usize = 128;

/// Writes runs of distinct topics, a few statements for many runs; returns their ids, in order.
pub fn insert_runs(conn: &mut DbConn, runs: &[NewRun<'_>]) -> QueryResult<Vec<i32>> {
    let mut ids = std::collections::HashMap::with_capacity(runs.len());
    for chunk in runs.chunks(RUNS_PER_INSERT) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    reputation_runs::topic_id.eq(r.topic_id),
                    reputation_runs::computed_at.eq(r.computed_at),
                    reputation_runs::users.eq(r.users),
                    reputation_runs::endorsements.eq(r.endorsements),
                    reputation_runs::iterations.eq(r.iterations),
                    reputation_runs::params.eq(r.params),
                    reputation_runs::is_current.eq(false),
                    reputation_runs::is_snapshot.eq(false),
                )
            })
            .collect();
        // Rows come back in no promised order: each names its topic.
        let written: Vec<(i32, i32)> = crate::storage::per_backend!(&mut *conn, |c| {
            diesel::insert_into(reputation_runs::table)
                .values(values)
                .returning((reputation_runs::topic_id, reputation_runs::id))
                .get_results(c)
        })?;
        ids.extend(written);
    }
    runs.iter()
        .map(|r| {
            ids.get(&r.topic_id).copied().ok_or_else(|| {
                diesel::result::Error::DeserializationError(
                    format!("no run came back for topic {}", r.topic_id).into(),
                )
            })
        })
        .collect()
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
    Ok(make_current_all(conn, std::slice::from_ref(run))?.pop())
}

/// [`make_current`] for runs of distinct topics computed at the same time, in a handful of
/// statements whatever their number (a full recompute switches tens of thousands of small
/// topics, a group per transaction); returns the runs they replace.
pub fn make_current_all(conn: &mut DbConn, runs: &[Run]) -> QueryResult<Vec<Run>> {
    use std::collections::HashSet;
    let Some(first) = runs.first() else {
        return Ok(Vec::new());
    };
    let topics: Vec<i32> = runs.iter().map(|r| r.topic_id).collect();
    let old: Vec<Run> = reputation_runs::table
        .filter(reputation_runs::topic_id.eq_any(&topics))
        .filter(reputation_runs::is_current.eq(true))
        .select(Run::as_select())
        .load(conn)?;
    let day_start = first
        .computed_at
        .date()
        .and_hms_opt(0, 0, 0)
        .unwrap_or(first.computed_at);
    let snapshot_today: HashSet<i32> = reputation_runs::table
        .filter(reputation_runs::topic_id.eq_any(&topics))
        .filter(reputation_runs::is_snapshot.eq(true))
        .filter(reputation_runs::computed_at.ge(day_start))
        .select(reputation_runs::topic_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    // The old runs stop being current first: a topic has one current run at a time.
    let old_ids: Vec<i32> = old.iter().map(|r| r.id).collect();
    if !old_ids.is_empty() {
        diesel::update(reputation_runs::table.filter(reputation_runs::id.eq_any(&old_ids)))
            .set(reputation_runs::is_current.eq(false))
            .execute(conn)?;
    }
    let (first_today, later): (Vec<&Run>, Vec<&Run>) = runs
        .iter()
        .partition(|r| !snapshot_today.contains(&r.topic_id));
    for (group, snapshot) in [(first_today, true), (later, false)] {
        let ids: Vec<i32> = group.iter().map(|r| r.id).collect();
        if !ids.is_empty() {
            diesel::update(reputation_runs::table.filter(reputation_runs::id.eq_any(&ids)))
                .set((
                    reputation_runs::is_current.eq(true),
                    reputation_runs::is_snapshot.eq(snapshot),
                ))
                .execute(conn)?;
        }
    }
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
