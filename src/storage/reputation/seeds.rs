//! The `topic_seeds` table: each topic's pre-trusted users.

use diesel::prelude::*;

use crate::db::schema::{topic_seeds, topics, users};
use crate::db::DbConn;

/// Seeds as (topic, user), for the given topic or all.
pub fn seeds(conn: &mut DbConn, topic: Option<i32>) -> QueryResult<Vec<(i32, i32)>> {
    let mut q = topic_seeds::table.into_boxed();
    if let Some(t) = topic {
        q = q.filter(topic_seeds::topic_id.eq(t));
    }
    q.select((topic_seeds::topic_id, topic_seeds::user_id))
        .order((topic_seeds::topic_id, topic_seeds::user_id))
        .load(conn)
}

/// Handles of a topic's seeds, sorted.
pub fn seed_handles(conn: &mut DbConn, topic: i32) -> QueryResult<Vec<String>> {
    topic_seeds::table
        .inner_join(users::table)
        .filter(topic_seeds::topic_id.eq(topic))
        .select(users::handle)
        .order(users::handle)
        .load(conn)
}

/// Replaces a topic's seeds.
pub fn set_seeds(conn: &mut DbConn, topic: i32, users: &[i32]) -> QueryResult<()> {
    diesel::delete(topic_seeds::table.filter(topic_seeds::topic_id.eq(topic))).execute(conn)?;
    for u in users {
        diesel::insert_into(topic_seeds::table)
            .values((topic_seeds::topic_id.eq(topic), topic_seeds::user_id.eq(*u)))
            .execute(conn)?;
    }
    Ok(())
}

/// Every seed as (topic slug, handle), sorted.
pub fn all_seed_handles(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    topic_seeds::table
        .inner_join(users::table)
        .inner_join(topics::table)
        .select((topics::slug, users::handle))
        .order((topics::slug, users::handle))
        .load(conn)
}
