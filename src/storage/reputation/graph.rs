//! The endorsement graph as a recompute and an explanation read it.

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

use crate::db::instant::Stamp;
use crate::db::schema::{endorsements, topics, users};
use crate::db::DbConn;
use crate::domain::endorsement::Status;

/// One endorsement as the graph needs it.
#[derive(Debug, Clone, Copy, Queryable)]
pub struct GraphRow {
    pub id: i64,
    pub topic: i32,
    pub endorser: i32,
    pub endorsee: i32,
    /// Held by a flag (status `flagged`).
    pub flagged: bool,
    /// Voided by a moderator: counts 0, but is reported among the endorsee's discounted.
    pub voided: bool,
    pub created_at: Stamp,
}

/// Endorsements that are not revoked: active or flagged (they count) and voided (reported).
/// Voided ones come in the same pass because a query of their own, by status, read the whole
/// table again through an index, row by row.
fn graph_rows() -> endorsements::BoxedQuery<'static, crate::db::MultiBackend> {
    endorsements::table
        .filter(endorsements::status.eq_any([
            Status::Active.as_str(),
            Status::Flagged.as_str(),
            Status::Voided.as_str(),
        ]))
        .into_boxed()
}

/// Endorsements read per query when SQLite reads the whole graph.
const PAGE: i64 = 250_000;

/// Hands every endorsement that is not revoked (of `topic` alone, if given) to `each` as it is
/// read, in id order for the whole graph. PostgreSQL streams them with one `COPY`; SQLite steps
/// through pages by id, or through the topic index for one topic.
pub fn read_graph(
    conn: &mut DbConn,
    topic: Option<i32>,
    each: &mut dyn FnMut(GraphRow),
) -> QueryResult<()> {
    match (conn, topic) {
        (DbConn::Pg(c), topic) => super::graph_copy::graph_copy(c, topic, each),
        (conn, Some(t)) => graph_of_topic(conn, t, each),
        (conn, None) => {
            let mut after = 0;
            loop {
                let (read, last) = graph_page(conn, after, PAGE, each)?;
                after = last;
                if read < PAGE {
                    return Ok(());
                }
            }
        }
    }
}

/// Endorsements that are not revoked with id above `after_id`, by id, `limit` at most, each
/// handed to `each` as it is read. Returns how many were read and the last id.
fn graph_page(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
    each: &mut dyn FnMut(GraphRow),
) -> QueryResult<(i64, i64)> {
    let rows = graph_rows()
        .filter(endorsements::id.gt(after_id))
        .order(endorsements::id.asc())
        .limit(limit)
        .select(graph_columns())
        .load_iter::<GraphRow, diesel::connection::DefaultLoadingMode>(conn)?;
    let (mut n, mut last) = (0, after_id);
    for row in rows {
        let row = row?;
        (n, last) = (n + 1, row.id);
        each(row);
    }
    Ok((n, last))
}

/// Endorsements of one topic that are not revoked, through the topic index, each handed to
/// `each` as it is read.
fn graph_of_topic(
    conn: &mut DbConn,
    topic: i32,
    each: &mut dyn FnMut(GraphRow),
) -> QueryResult<()> {
    let rows = graph_rows()
        .filter(endorsements::topic_id.eq(topic))
        .select(graph_columns())
        .load_iter::<GraphRow, diesel::connection::DefaultLoadingMode>(conn)?;
    for row in rows {
        each(row?);
    }
    Ok(())
}

/// The endorsements `ids` as they stand now: each with its row, or `None` if it is revoked or
/// gone (what a topic kept in memory needs to catch up with them).
pub fn rows_now(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, Option<GraphRow>)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let found: Vec<GraphRow> = graph_rows()
            .filter(endorsements::id.eq_any(chunk))
            .select(graph_columns())
            .load(conn)?;
        let found: std::collections::HashMap<i64, GraphRow> =
            found.into_iter().map(|r| (r.id, r)).collect();
        out.extend(chunk.iter().map(|id| (*id, found.get(id).cloned())));
    }
    Ok(out)
}

#[allow(clippy::type_complexity)]
fn graph_columns() -> (
    endorsements::id,
    endorsements::topic_id,
    endorsements::endorser_id,
    endorsements::endorsee_id,
    diesel::dsl::Eq<endorsements::status, &'static str>,
    diesel::dsl::Eq<endorsements::status, &'static str>,
    endorsements::created_at,
) {
    (
        endorsements::id,
        endorsements::topic_id,
        endorsements::endorser_id,
        endorsements::endorsee_id,
        endorsements::status.eq(Status::Flagged.as_str()),
        endorsements::status.eq(Status::Voided.as_str()),
        endorsements::created_at,
    )
}

/// The largest user id, so a recompute can renumber users with one array.
pub fn max_user_id(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(users::table
        .select(max(users::id))
        .get_result::<Option<i32>>(conn)?
        .unwrap_or(0))
}

/// Every topic id, but merged topics' (they hold nothing now).
pub fn topic_ids(conn: &mut DbConn) -> QueryResult<Vec<i32>> {
    topics::table
        .filter(topics::merged_into.is_null())
        .select(topics::id)
        .order(topics::id)
        .load(conn)
}

/// One endorsement as an explanation weighs it (the endorser's handle is read for the page
/// shown only: a top user has thousands of endorsers).
#[derive(Debug, Clone)]
pub struct Inbound {
    pub id: i64,
    pub endorser_id: i32,
    pub status: Status,
    pub created_at: Stamp,
}

/// What an endorser gave: the weight their endorsements are shares of.
#[derive(Debug, Clone)]
pub struct Given {
    pub endorser: i32,
    pub status: Status,
    pub created_at: Stamp,
}

/// Endorsements `user` received in `topic` up to `until`, revoked ones left out.
pub fn inbound(
    conn: &mut DbConn,
    user: i32,
    topic: i32,
    until: DateTime<Utc>,
) -> QueryResult<Vec<Inbound>> {
    endorsements::table
        .filter(endorsements::endorsee_id.eq(user))
        .filter(endorsements::created_at.le(crate::storage::db_stamp(until)))
        // `+ 0` keeps the topic off the index choice: without statistics SQLite otherwise
        // walks the whole topic by (topic, time) rather than the user's own endorsements by
        // (endorsee, time), 150k rows instead of a few hundred at 1M endorsements.
        .filter((endorsements::topic_id + 0).eq(topic))
        // Written out, not bound: SQLite compares a bound value with the partial index's
        // `status <> 'revoked'` while planning, and prepared the statement again on every call.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(NOT_REVOKED))
        .select((
            endorsements::id,
            endorsements::endorser_id,
            endorsements::status,
            endorsements::created_at,
        ))
        .order(endorsements::id.asc())
        .load::<(i64, i32, String, Stamp)>(conn)?
        .into_iter()
        .map(|(id, endorser_id, status, created_at)| {
            Ok(Inbound {
                id,
                endorser_id,
                status: crate::storage::parsed(&status)?,
                created_at,
            })
        })
        .collect()
}

/// `status <> 'revoked'` as SQL text.
const NOT_REVOKED: &str = "endorsements.status <> 'revoked'";

/// What the given endorsers gave in `topic` up to `until` (statuses that count): the totals
/// their endorsements are shares of.
pub fn given(
    conn: &mut DbConn,
    endorsers: &[i32],
    topic: i32,
    until: DateTime<Utc>,
) -> QueryResult<Vec<Given>> {
    endorsements::table
        .filter(endorsements::endorser_id.eq_any(endorsers))
        .filter(endorsements::topic_id.eq(topic))
        .filter(endorsements::created_at.le(crate::storage::db_stamp(until)))
        .filter(endorsements::status.eq_any([Status::Active.as_str(), Status::Flagged.as_str()]))
        .select((
            endorsements::endorser_id,
            endorsements::status,
            endorsements::created_at,
        ))
        .load::<(i32, String, Stamp)>(conn)?
        .into_iter()
        .map(|(endorser, status, created_at)| {
            Ok(Given {
                endorser,
                status: crate::storage::parsed(&status)?,
                created_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_out_status_is_the_revoked_one() {
        let quoted = format!("'{}'", Status::Revoked.as_str());
        assert!(NOT_REVOKED.ends_with(&quoted), "{NOT_REVOKED}");
    }
}
