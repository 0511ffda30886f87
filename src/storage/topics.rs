//! The `topics` table: slugs, created on first use, and their counts.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::db_time;
use crate::db::schema::{endorsements, topics};
use crate::db::DbConn;
use crate::domain::endorsement::Status;

/// The id of the topic `slug` names: a merged topic's slug names the topic it was merged into.
pub fn find_id(conn: &mut DbConn, slug: &str) -> QueryResult<Option<i32>> {
    Ok(find_exact(conn, slug)?.map(|(id, into)| into.unwrap_or(id)))
}

/// The id of the topic stored exactly as `slug`, and the topic it was merged into if it was.
pub fn find_exact(conn: &mut DbConn, slug: &str) -> QueryResult<Option<(i32, Option<i32>)>> {
    topics::table
        .filter(topics::slug.eq(slug))
        .select((topics::id, topics::merged_into))
        .get_result(conn)
        .optional()
}

/// Every merged topic's slug with the id of the topic it was merged into.
pub fn aliases(conn: &mut DbConn) -> QueryResult<Vec<(String, i32)>> {
    let rows: Vec<(String, Option<i32>)> = topics::table
        .filter(topics::merged_into.is_not_null())
        .select((topics::slug, topics::merged_into))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(slug, into)| Some((slug, into?)))
        .collect())
}

/// The slug of a topic id.
pub fn slug_of(conn: &mut DbConn, id: i32) -> QueryResult<String> {
    topics::table.find(id).select(topics::slug).get_result(conn)
}

/// A topic the writer has given an id.
#[derive(Debug, Clone)]
pub struct New {
    pub id: i32,
    pub slug: String,
    pub created_at: DateTime<Utc>,
    /// The key whose write brought it into being; `None` for imports.
    pub created_by: Option<i32>,
}

/// Adds topics with the ids the writer gave them.
pub fn insert_many(conn: &mut DbConn, rows: &[New]) -> QueryResult<()> {
    for chunk in super::chunks(rows) {
        let values: Vec<_> = chunk
            .iter()
            .map(|t| {
                (
                    topics::id.eq(t.id),
                    topics::slug.eq(t.slug.clone()),
                    topics::created_at.eq(db_time(t.created_at)),
                    topics::created_by.eq(t.created_by),
                )
            })
            .collect();
        super::insert_rows!(conn, topics::table, values)?;
    }
    match rows.iter().map(|t| t.id).max() {
        Some(max) => super::sync_sequence(conn, "topics", max),
        None => Ok(()),
    }
}

/// When the key `key` created topics at or after `since`, oldest first.
pub fn created_by_since(
    conn: &mut DbConn,
    key: i32,
    since: DateTime<Utc>,
) -> QueryResult<Vec<NaiveDateTime>> {
    topics::table
        .filter(topics::created_by.eq(key))
        .filter(topics::created_at.ge(db_time(since)))
        .order(topics::created_at.asc())
        .select(topics::created_at)
        .load(conn)
}

/// The topics with an id above `after`.
pub fn ids_after(conn: &mut DbConn, after: i32) -> QueryResult<Vec<(i32, String)>> {
    topics::table
        .filter(topics::id.gt(after))
        .select((topics::id, topics::slug))
        .load(conn)
}

/// Every topic's slug and creation time.
pub fn all_created(conn: &mut DbConn) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    topics::table
        .order(topics::id.asc())
        .select((topics::slug, topics::created_at))
        .load(conn)
}

/// Every topic's id and slug.
pub fn all_ids(conn: &mut DbConn) -> QueryResult<Vec<(i32, String)>> {
    topics::table.select((topics::id, topics::slug)).load(conn)
}

/// Adds a topic first used at `at`; returns its id.
pub fn insert(conn: &mut DbConn, slug: &str, at: DateTime<Utc>) -> QueryResult<i32> {
    diesel::insert_into(topics::table)
        .values((topics::slug.eq(slug), topics::created_at.eq(db_time(at))))
        .returning(topics::id)
        .get_result(conn)
}

/// A topic with its endorsements counted by status.
#[derive(Debug, Clone)]
pub struct TopicCounts {
    pub slug: String,
    pub created_at: NaiveDateTime,
    /// `(status, count)` for each status the topic has endorsements in.
    pub by_status: Vec<(Status, i64)>,
}

/// Up to `limit` topics by slug after `after`, each with its endorsements counted by status.
pub fn page_with_counts(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<TopicCounts>> {
    let mut q = topics::table
        .filter(topics::merged_into.is_null())
        .order(topics::slug.asc())
        .select((topics::id, topics::slug, topics::created_at))
        .limit(limit.min(super::MAX_PAGE))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(topics::slug.gt(after.to_string()));
    }
    let page: Vec<(i32, String, NaiveDateTime)> = q.load(conn)?;
    let ids: Vec<i32> = page.iter().map(|t| t.0).collect();
    // Uses `endorsements_topic_time` (topic first) to count only this page's topics.
    let counts: Vec<(i32, String, i64)> = endorsements::table
        .filter(endorsements::topic_id.eq_any(&ids))
        .group_by((endorsements::topic_id, endorsements::status))
        .select((endorsements::topic_id, endorsements::status, count_star()))
        .load(conn)?;
    let mut by_topic: std::collections::HashMap<i32, Vec<(Status, i64)>> = Default::default();
    for (id, status, n) in counts {
        by_topic
            .entry(id)
            .or_default()
            .push((super::parsed(&status)?, n));
    }
    Ok(page
        .into_iter()
        .map(|(id, slug, created_at)| TopicCounts {
            slug,
            created_at,
            by_status: by_topic.remove(&id).unwrap_or_default(),
        })
        .collect())
}

/// A topic's id, slug and creation time; for a merged topic's slug, the topic it went into.
pub fn find(conn: &mut DbConn, slug: &str) -> QueryResult<Option<(i32, String, NaiveDateTime)>> {
    let Some(id) = find_id(conn, slug)? else {
        return Ok(None);
    };
    topics::table
        .find(id)
        .select((topics::id, topics::slug, topics::created_at))
        .get_result(conn)
        .optional()
}

/// A topic's endorsements counted by status.
pub fn counts_by_status(conn: &mut DbConn, topic: i32) -> QueryResult<Vec<(Status, i64)>> {
    let rows: Vec<(String, i64)> = endorsements::table
        .filter(endorsements::topic_id.eq(topic))
        .group_by(endorsements::status)
        .select((endorsements::status, count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|(s, n)| Ok((super::parsed(&s)?, n)))
        .collect()
}
