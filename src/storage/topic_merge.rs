//! What merging one topic into another does to the tables: endorsements, reports and seeds move,
//! the merged topic's scores go, and its row stays behind as another name of the topic it joined.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{db_stamp, db_time};
use crate::db::instant::Stamp;
use crate::db::schema::{endorsements, reputation_runs, solicitations, topic_seeds, topics};
use crate::db::DbConn;
use crate::domain::endorsement::Status;

/// An endorsement that is not revoked, as a merge weighs it.
#[derive(Debug, Clone)]
pub struct LiveRow {
    pub id: i64,
    pub status: Status,
    pub created_at: Stamp,
}

/// id, status, created_at as stored.
type StoredLive = (i64, String, Stamp);

/// The pairs of users with a live endorsement in both topics: (the one in `from`, the one in
/// `into`). Reads `from`'s live endorsements and looks each pair up in `into` by
/// `endorsements_endorsee_topic`.
pub fn live_in_both(
    conn: &mut DbConn,
    from: i32,
    into: i32,
) -> QueryResult<Vec<(LiveRow, LiveRow)>> {
    let other = diesel::alias!(endorsements as other);
    let rows: Vec<(StoredLive, StoredLive)> = endorsements::table
        .inner_join(
            other.on(other
                .field(endorsements::endorsee_id)
                .eq(endorsements::endorsee_id)
                .and(other.field(endorsements::topic_id).eq(into))
                .and(
                    other
                        .field(endorsements::endorser_id)
                        .eq(endorsements::endorser_id),
                )
                .and(other.field(endorsements::status).ne("revoked"))),
        )
        .filter(endorsements::topic_id.eq(from))
        .filter(endorsements::status.ne("revoked"))
        .order(endorsements::id.asc())
        .select((
            (
                endorsements::id,
                endorsements::status,
                endorsements::created_at,
            ),
            (
                other.field(endorsements::id),
                other.field(endorsements::status),
                other.field(endorsements::created_at),
            ),
        ))
        .load(conn)?;
    let live = |(id, status, created_at): StoredLive| -> QueryResult<LiveRow> {
        Ok(LiveRow {
            id,
            status: super::parsed(&status)?,
            created_at,
        })
    };
    rows.into_iter()
        .map(|(a, b)| Ok((live(a)?, live(b)?)))
        .collect()
}

/// Moves every endorsement, report and seed of `from` into `into` (revoke the endorsements that
/// would make a pair live twice first), deletes `from`'s reputation runs, and points `from`, and
/// every topic merged into it before, at `into`. Returns how many endorsements moved.
pub fn merge(conn: &mut DbConn, from: i32, into: i32) -> QueryResult<usize> {
    super::users::received_changed_in_topic(conn, from)?;
    // Each moved endorsement remembers the topic its ledger entry names (the first move only:
    // a topic merged twice keeps the original).
    diesel::update(
        endorsements::table
            .filter(endorsements::topic_id.eq(from))
            .filter(endorsements::origin_topic_id.is_null()),
    )
    .set(endorsements::origin_topic_id.eq(from))
    .execute(conn)?;
    let moved = diesel::update(endorsements::table.filter(endorsements::topic_id.eq(from)))
        .set(endorsements::topic_id.eq(into))
        .execute(conn)?;
    diesel::update(solicitations::table.filter(solicitations::topic_id.eq(from)))
        .set(solicitations::topic_id.eq(into))
        .execute(conn)?;
    merge_seeds(conn, from, into)?;
    let runs: Vec<i32> = reputation_runs::table
        .filter(reputation_runs::topic_id.eq(from))
        .select(reputation_runs::id)
        .load(conn)?;
    super::reputation::delete_runs(conn, &runs)?;
    diesel::update(topics::table.filter(topics::id.eq(from).or(topics::merged_into.eq(from))))
        .set(topics::merged_into.eq(into))
        .execute(conn)?;
    Ok(moved)
}

fn merge_seeds(conn: &mut DbConn, from: i32, into: i32) -> QueryResult<()> {
    let seeds = |conn: &mut DbConn, topic: i32| -> QueryResult<Vec<i32>> {
        topic_seeds::table
            .filter(topic_seeds::topic_id.eq(topic))
            .select(topic_seeds::user_id)
            .load(conn)
    };
    let have = seeds(conn, into)?;
    for user in seeds(conn, from)? {
        if !have.contains(&user) {
            diesel::insert_into(topic_seeds::table)
                .values((
                    topic_seeds::topic_id.eq(into),
                    topic_seeds::user_id.eq(user),
                ))
                .execute(conn)?;
        }
    }
    diesel::delete(topic_seeds::table.filter(topic_seeds::topic_id.eq(from)))
        .execute(conn)
        .map(drop)
}

/// Marks an endorsement revoked by a merge at `at`.
pub fn revoke(conn: &mut DbConn, id: i64, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(endorsements::table.find(id))
        .set((
            endorsements::status.eq("revoked"),
            endorsements::revoked_at.eq(Some(db_stamp(at))),
        ))
        .execute(conn)?;
    super::users::received_changed(conn, id)
}

/// Every merged topic's slug with the slug of the topic it points at.
pub fn merges(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    let all: Vec<(i32, String, Option<i32>)> = topics::table
        .select((topics::id, topics::slug, topics::merged_into))
        .load(conn)?;
    let slug: std::collections::HashMap<i32, &str> =
        all.iter().map(|(id, s, _)| (*id, s.as_str())).collect();
    Ok(all
        .iter()
        .filter_map(|(_, from, into)| {
            let into = slug.get(&(*into)?)?;
            Some((from.clone(), (*into).to_string()))
        })
        .collect())
}

/// Adds the topic a merge goes into when nobody has used it yet; returns its id.
pub fn create_target(conn: &mut DbConn, slug: &str, at: DateTime<Utc>) -> QueryResult<i32> {
    let id = topics::table
        .select(diesel::dsl::max(topics::id))
        .get_result::<Option<i32>>(conn)?
        .unwrap_or(0)
        + 1;
    diesel::insert_into(topics::table)
        .values((
            topics::id.eq(id),
            topics::slug.eq(slug),
            topics::created_at.eq(db_time(at)),
        ))
        .execute(conn)?;
    super::sync_sequence(conn, "topics", id)?;
    Ok(id)
}
