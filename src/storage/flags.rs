//! The `flags` table: detector findings and their review.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::instant::Stamp;
use crate::db::schema::{api_keys, endorsements, flags, topics, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = flags)]
pub struct Row {
    pub id: i64,
    pub endorsement_id: i64,
    pub reason: String,
    pub score: f64,
    /// JSON.
    pub evidence: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<i32>,
}

pub fn insert_many(conn: &mut DbConn, rows: &[Row]) -> QueryResult<()> {
    for chunk in super::chunks(rows) {
        super::insert_rows!(conn, flags::table, chunk.to_vec())?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConn, row: &Row) -> QueryResult<()> {
    diesel::insert_into(flags::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Row>> {
    flags::table
        .find(id)
        .select(Row::as_select())
        .get_result(conn)
        .optional()
}

/// Every flag of an endorsement.
pub fn of_endorsement(conn: &mut DbConn, endorsement_id: i64) -> QueryResult<Vec<Row>> {
    flags::table
        .filter(flags::endorsement_id.eq(endorsement_id))
        .select(Row::as_select())
        .load(conn)
}

/// Records a review.
pub fn set_reviewed(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    at: DateTime<Utc>,
    note: Option<&str>,
    by: i32,
) -> QueryResult<()> {
    diesel::update(flags::table.find(id))
        .set((
            flags::status.eq(status),
            flags::reviewed_at.eq(Some(db_time(at))),
            flags::review_note.eq(note),
            flags::reviewed_by.eq(Some(by)),
        ))
        .execute(conn)
        .map(drop)
}

/// Which flags the queue shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub id: Option<i64>,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub endorsement_id: Option<i64>,
    pub topic_id: Option<i32>,
    /// Flags whose endorsement this user gave or received.
    pub user_id: Option<i32>,
    /// Highest score first, then oldest: strictly after this (score, id).
    pub after: Option<(f64, i64)>,
    /// Reviewed flags only, the latest review first (the review history), instead of by score.
    pub reviewed_first: bool,
    pub limit: i64,
}

type NamedRow = (
    Row,
    String,
    String,
    String,
    Option<String>,
    (Stamp, i32, i32),
);

/// A flag with the names a reader needs: endorser and endorsee handles, the topic's slug and
/// the reviewing key's name.
#[derive(Debug, Clone)]
pub struct Named {
    pub row: Row,
    pub endorser: String,
    pub endorsee: String,
    pub topic: String,
    pub reviewed_by: Option<String>,
    /// When the flagged endorsement was given.
    pub endorsed_at: Stamp,
    pub endorsee_id: i32,
    pub topic_id: i32,
}

/// Open flags of one reason, (id, evidence JSON), oldest first.
pub fn open_with_reason(conn: &mut DbConn, reason: &str) -> QueryResult<Vec<(i64, String)>> {
    flags::table
        .filter(flags::status.eq("open"))
        .filter(flags::reason.eq(reason))
        .order(flags::id.asc())
        .select((flags::id, flags::evidence))
        .load(conn)
}

/// Flags matching `f`, highest score first, oldest first on ties, with their names.
pub fn list(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<Named>> {
    let (endorser_u, endorsee_u) = diesel::alias!(users as endorser_u, users as endorsee_u);
    let mut q = flags::table
        .inner_join(endorsements::table)
        .inner_join(endorser_u.on(endorsements::endorser_id.eq(endorser_u.field(users::id))))
        .inner_join(endorsee_u.on(endorsements::endorsee_id.eq(endorsee_u.field(users::id))))
        .inner_join(topics::table.on(endorsements::topic_id.eq(topics::id)))
        .left_join(api_keys::table.on(flags::reviewed_by.eq(api_keys::id.nullable())))
        .select((
            Row::as_select(),
            endorser_u.field(users::handle),
            endorsee_u.field(users::handle),
            topics::slug,
            api_keys::name.nullable(),
            (
                endorsements::created_at,
                endorsements::endorsee_id,
                endorsements::topic_id,
            ),
        ))
        .into_boxed();
    if let Some(id) = f.id {
        q = q.filter(flags::id.eq(id));
    }
    if let Some(s) = &f.status {
        q = q.filter(flags::status.eq(s.clone()));
    }
    if let Some(r) = &f.reason {
        q = q.filter(flags::reason.eq(r.clone()));
    }
    if let Some(id) = f.endorsement_id {
        q = q.filter(flags::endorsement_id.eq(id));
    }
    if let Some(id) = f.topic_id {
        q = q.filter(endorsements::topic_id.eq(id));
    }
    if let Some(id) = f.user_id {
        q = q.filter(
            endorsements::endorser_id
                .eq(id)
                .or(endorsements::endorsee_id.eq(id)),
        );
    }
    if let Some((score, id)) = f.after {
        q = q.filter(
            flags::score
                .lt(score)
                .or(flags::score.eq(score).and(flags::id.gt(id))),
        );
    }
    if f.reviewed_first {
        q = q
            .filter(flags::reviewed_at.is_not_null())
            .order((flags::reviewed_at.desc(), flags::id.desc()));
    } else {
        q = q.order((flags::score.desc(), flags::id.asc()));
    }
    let rows: Vec<NamedRow> = q.limit(f.limit.min(super::MAX_PAGE)).load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                row,
                endorser,
                endorsee,
                topic,
                reviewed_by,
                (endorsed_at, endorsee_id, topic_id),
            )| {
                Named {
                    row,
                    endorser,
                    endorsee,
                    topic,
                    reviewed_by,
                    endorsed_at,
                    endorsee_id,
                    topic_id,
                }
            },
        )
        .collect())
}

/// One flag with its names.
pub fn find_named(conn: &mut DbConn, id: i64) -> QueryResult<Option<Named>> {
    let f = Filter {
        id: Some(id),
        limit: 1,
        ..Filter::default()
    };
    Ok(list(conn, &f)?.pop())
}

/// Rows with id above `after_id`, by id, at most `limit`, each with its reviewer's key name.
pub fn page_named(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<(Row, Option<String>)>> {
    flags::table
        .left_join(api_keys::table)
        .filter(flags::id.gt(after_id))
        .order(flags::id.asc())
        .limit(limit)
        .select((Row::as_select(), api_keys::name.nullable()))
        .load(conn)
}

pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    flags::table.count().get_result(conn)
}
