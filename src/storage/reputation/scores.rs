//! The `reputation_runs` and `reputation_scores` tables: each recompute's run and the scores it
//! materialised, the current run of each topic, and the daily snapshots kept for history.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::schema::{reputation_runs, reputation_scores, topics, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
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

#[derive(Debug, Clone, Copy, Queryable, Selectable, Insertable)]
#[diesel(table_name = reputation_scores)]
// COPY sends every column: an unknown out-weight is NULL, not the column's default.
#[diesel(treat_none_as_default_value = false)]
pub struct Score {
    pub run_id: i32,
    pub user_id: i32,
    pub raw: f64,
    pub score: f64,
    pub rank: i32,
    pub percentile: f64,
    pub counted: i32,
    pub discounted: i32,
    /// The decayed total of what the user gave in the topic; `None` in older runs.
    pub out_weight: Option<f64>,
}

/// Most rows in one INSERT statement.
pub const SCORES_PER_INSERT: usize = 2_000;

/// Inserts score rows: on PostgreSQL by `COPY` in binary, whose rows skip the SQL parser (a
/// many-row `VALUES` list took most of a store's time there); on SQLite many per statement.
pub fn insert_scores(conn: &mut DbConn, rows: &[Score]) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => diesel::copy_from(reputation_scores::table)
            .from_insertable(rows)
            .execute(c)
            .map(drop),
        DbConn::Sqlite(_) => insert_values(conn, rows),
    }
}

/// Inserts score rows, many per statement. diesel's multi-row insert is not available through
/// the multi-backend connection, and one statement per row is what made this slow: the rows
/// are numbers only, written into the SQL text in Rust's exact (shortest round-trip) form.
fn insert_values(conn: &mut DbConn, rows: &[Score]) -> QueryResult<()> {
    use std::fmt::Write;
    let mut sql = String::with_capacity(SCORES_PER_INSERT * 80);
    for chunk in rows.chunks(SCORES_PER_INSERT) {
        sql.clear();
        sql.push_str(
            "INSERT INTO reputation_scores \
             (run_id, user_id, raw, score, rank, percentile, counted, discounted, out_weight) \
             VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            // Scores are finite by construction; a NaN would make the statement fail, not lie.
            let _ = write!(
                sql,
                "{sep}({},{},{:?},{:?},{},{:?},{},{},",
                r.run_id, r.user_id, r.raw, r.score, r.rank, r.percentile, r.counted, r.discounted
            );
            let _ = match r.out_weight {
                Some(w) => write!(sql, "{w:?})"),
                None => write!(sql, "NULL)"),
            };
        }
        conn.batch_execute(&sql)?;
    }
    Ok(())
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

/// Deletes up to `limit` score rows of `run`; returns how many went.
pub fn delete_scores(conn: &mut DbConn, run: i32, limit: i64) -> QueryResult<usize> {
    let users: Vec<i32> = reputation_scores::table
        .filter(reputation_scores::run_id.eq(run))
        .select(reputation_scores::user_id)
        .limit(limit)
        .load(conn)?;
    diesel::delete(
        reputation_scores::table
            .filter(reputation_scores::run_id.eq(run))
            .filter(reputation_scores::user_id.eq_any(&users)),
    )
    .execute(conn)
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

/// Deletes runs with whatever scores they still have. Meant for runs small enough together to
/// go in one statement each (see the recompute's `ROWS_PER_TX`).
pub fn delete_runs(conn: &mut DbConn, ids: &[i32]) -> QueryResult<()> {
    diesel::delete(reputation_scores::table.filter(reputation_scores::run_id.eq_any(ids)))
        .execute(conn)?;
    diesel::delete(reputation_runs::table.filter(reputation_runs::id.eq_any(ids)))
        .execute(conn)
        .map(drop)
}

/// A user's scores in the current run of every topic, with the topic slug and the run.
pub fn of_user(conn: &mut DbConn, user: i32) -> QueryResult<Vec<(Score, String, Run)>> {
    reputation_scores::table
        .inner_join(reputation_runs::table.inner_join(topics::table))
        .filter(reputation_scores::user_id.eq(user))
        .filter(reputation_runs::is_current.eq(true))
        // A recompute that raced a merge can leave a run for the merged topic.
        .filter(topics::merged_into.is_null())
        .order(topics::slug.asc())
        .select((Score::as_select(), topics::slug, Run::as_select()))
        .load(conn)
}

/// One user's score in each kept run of a topic, oldest first.
pub fn history(conn: &mut DbConn, topic: i32, user: i32) -> QueryResult<Vec<(Score, Run)>> {
    reputation_scores::table
        .inner_join(reputation_runs::table)
        .filter(reputation_scores::user_id.eq(user))
        .filter(reputation_runs::topic_id.eq(topic))
        .filter(
            reputation_runs::is_current
                .eq(true)
                .or(reputation_runs::is_snapshot.eq(true)),
        )
        .order(reputation_runs::computed_at.asc())
        .select((Score::as_select(), Run::as_select()))
        .load(conn)
}

/// Scores of the given users in one run.
pub fn scores_in_run(conn: &mut DbConn, run: i32, users: &[i32]) -> QueryResult<Vec<Score>> {
    reputation_scores::table
        .filter(reputation_scores::run_id.eq(run))
        .filter(reputation_scores::user_id.eq_any(users))
        .select(Score::as_select())
        .load(conn)
}

/// A page of a run's leaderboard, strictly after `(rank, user_id)`, with handles.
pub fn leaderboard(
    conn: &mut DbConn,
    run: i32,
    after: Option<(i32, i32)>,
    limit: i64,
) -> QueryResult<Vec<(Score, String)>> {
    let mut q = reputation_scores::table
        .inner_join(users::table.on(users::id.eq(reputation_scores::user_id)))
        .filter(reputation_scores::run_id.eq(run))
        .into_boxed();
    if let Some((rank, user)) = after {
        q = q.filter(
            reputation_scores::rank.gt(rank).or(reputation_scores::rank
                .eq(rank)
                .and(reputation_scores::user_id.gt(user))),
        );
    }
    q.order((
        reputation_scores::rank.asc(),
        reputation_scores::user_id.asc(),
    ))
    .limit(limit.min(crate::storage::MAX_PAGE))
    .select((Score::as_select(), users::handle))
    .load(conn)
}
