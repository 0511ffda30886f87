//! The `recompute_claims` table: which instance is recomputing which topic, until when.

use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::db::schema::{recompute_claims, reputation_runs};
use crate::db::DbConn;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Integer)]
    topic_id: i32,
}

/// Claims for `me` until `until` every topic of `topics` that no other claimer holds at `now`
/// (no claim, an expired one, or `me`'s own); returns those it claimed. A claim is an upsert
/// that only replaces such a claim, atomic per row on both backends, so two instances claiming
/// at once never both get a topic.
pub fn claim(
    conn: &mut DbConn,
    topics: &[i32],
    me: &str,
    now_micros: i64,
    until_micros: i64,
) -> QueryResult<Vec<i32>> {
    // `me` is plusk's own instance name ([a-z0-9-]); it is still quoted as SQL text.
    let me = me.replace('\'', "''");
    let mut out = Vec::with_capacity(topics.len());
    for chunk in topics.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|t| format!("({t}, '{me}', {until_micros})"))
            .collect();
        let sql = format!(
            "INSERT INTO recompute_claims (topic_id, claimed_by, until_micros) VALUES {} \
             ON CONFLICT (topic_id) DO UPDATE SET claimed_by = excluded.claimed_by, \
             until_micros = excluded.until_micros \
             WHERE recompute_claims.until_micros < {now_micros} \
             OR recompute_claims.claimed_by = '{me}' RETURNING topic_id",
            values.join(", ")
        );
        let rows: Vec<Claimed> = diesel::sql_query(sql).load(conn)?;
        out.extend(rows.into_iter().map(|c| c.topic_id));
    }
    out.sort_unstable();
    Ok(out)
}

/// Sets `me`'s claims on `topics` to end at `until`.
pub fn hold_until(
    conn: &mut DbConn,
    topics: &[i32],
    me: &str,
    until_micros: i64,
) -> QueryResult<()> {
    for chunk in topics.chunks(1000) {
        diesel::update(
            recompute_claims::table
                .filter(recompute_claims::claimed_by.eq(me))
                .filter(recompute_claims::topic_id.eq_any(chunk)),
        )
        .set(recompute_claims::until_micros.eq(until_micros))
        .execute(conn)?;
    }
    Ok(())
}

/// The topics whose current run was computed after `since`.
pub fn computed_since(conn: &mut DbConn, since: chrono::NaiveDateTime) -> QueryResult<Vec<i32>> {
    reputation_runs::table
        .filter(reputation_runs::is_current.eq(true))
        .filter(reputation_runs::computed_at.gt(since))
        .select(reputation_runs::topic_id)
        .load(conn)
}
