//! The `endorsements` table: the projection of the ledger that queries run on.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::db_stamp;
use crate::db::instant::Stamp;
use crate::db::schema::{api_keys, endorsements, topics, users};
use crate::db::DbConn;
use crate::domain::cursor::Cursor;
use crate::domain::endorsement::{Endorsement, EndorsementState, Status};
use crate::domain::ledger::Created;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = endorsements)]
struct Row {
    id: i64,
    note: Option<String>,
    status: String,
    created_at: Stamp,
    revoked_at: Option<Stamp>,
    created_by: Option<i32>,
}

/// A row joined with the handles and slug it refers to.
#[derive(Debug, Clone)]
pub struct View {
    row_id: i64,
    endorser: String,
    endorsee: String,
    topic: String,
    note: Option<String>,
    status: Status,
    created_at: Stamp,
    revoked_at: Option<Stamp>,
    /// Id of the API key that created it (`None` for imports).
    pub created_by: Option<i32>,
}

impl View {
    pub fn id(&self) -> i64 {
        self.row_id
    }

    /// The client-facing form.
    pub fn to_endorsement(&self) -> Endorsement {
        Endorsement {
            id: self.row_id,
            endorser: self.endorser.clone(),
            endorsee: self.endorsee.clone(),
            topic: self.topic.clone(),
            note: self.note.clone(),
            status: self.status,
            created_at: self.created_at.utc(),
            revoked_at: self.revoked_at.map(Stamp::utc),
            // The entry that created a row has the row's id as its seq.
            ledger_seq: self.row_id,
        }
    }

    /// The form `ledger verify` compares with the replayed ledger.
    pub fn to_state(&self) -> EndorsementState {
        EndorsementState {
            id: self.row_id,
            endorser: self.endorser.clone(),
            endorsee: self.endorsee.clone(),
            topic: self.topic.clone(),
            note: self.note.clone(),
            status: self.status.as_str().to_string(),
            created_at: self.created_at.utc(),
            revoked_at: self.revoked_at.map(Stamp::utc),
            // The entry that created a row has the row's id as its seq.
            ledger_seq: self.row_id,
        }
    }
}

/// A row to insert, with the status the detectors left it in.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub id: i64,
    pub endorser_id: i32,
    pub endorsee_id: i32,
    pub topic_id: i32,
    pub note: Option<String>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i32>,
    /// The `endorsement.created` entry (seq = `id`), kept on its row: its hash, hex-encoded, and
    /// its time, `None` when it is `created_at`.
    pub entry_hash: String,
    pub entry_at: Option<DateTime<Utc>>,
}

pub fn insert_many(conn: &mut DbConn, rows: &[NewRow]) -> QueryResult<()> {
    for chunk in super::chunks(rows) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    endorsements::id.eq(r.id),
                    endorsements::endorser_id.eq(r.endorser_id),
                    endorsements::endorsee_id.eq(r.endorsee_id),
                    endorsements::topic_id.eq(r.topic_id),
                    endorsements::note.eq(r.note.clone()),
                    endorsements::status.eq(r.status.as_str()),
                    endorsements::created_at.eq(db_stamp(r.created_at)),
                    endorsements::created_by.eq(r.created_by),
                    // Our own hashes are always 64 hex digits.
                    endorsements::entry_hash.eq(hex::decode(&r.entry_hash).ok()),
                    endorsements::entry_at.eq(r.entry_at.map(db_stamp)),
                )
            })
            .collect();
        super::insert_rows!(conn, endorsements::table, values)?;
    }
    Ok(())
}

/// What the writer's model keeps of an endorsement: id, endorser, endorsee, topic, creation time
/// in microseconds since the epoch, and whether it is live (not revoked).
pub type ModelRow = (i64, i32, i32, i32, i64, bool);

type ModelColumns = (
    endorsements::id,
    endorsements::endorser_id,
    endorsements::endorsee_id,
    endorsements::topic_id,
    endorsements::created_at,
    diesel::expression::SqlLiteral<diesel::sql_types::Bool>,
);

/// The columns of a [`ModelRow`]. The status is compared in SQL: at millions of rows, a string
/// per row was much of the load.
fn model_columns() -> ModelColumns {
    (
        endorsements::id,
        endorsements::endorser_id,
        endorsements::endorsee_id,
        endorsements::topic_id,
        endorsements::created_at,
        diesel::dsl::sql("status <> 'revoked'"),
    )
}

fn model_rows(rows: Vec<(i64, i32, i32, i32, Stamp, bool)>) -> Vec<ModelRow> {
    rows.into_iter()
        .map(|(id, a, b, t, at, live)| (id, a, b, t, at.0, live))
        .collect()
}

/// Endorsements in id order after `after`, `limit` at a time, as the model loads them.
pub fn page_for_model(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<ModelRow>> {
    let rows = endorsements::table
        .filter(endorsements::id.gt(after))
        .order(endorsements::id.asc())
        .limit(limit)
        .select(model_columns())
        .load(conn)?;
    Ok(model_rows(rows))
}

/// Endorsements created at or after `since`, oldest first, as the model loads them: what the
/// periodic sweep judges.
pub fn created_since(conn: &mut DbConn, since: DateTime<Utc>) -> QueryResult<Vec<ModelRow>> {
    let rows = endorsements::table
        .filter(endorsements::created_at.ge(db_stamp(since)))
        .order((endorsements::created_at.asc(), endorsements::id.asc()))
        .select(model_columns())
        .load(conn)?;
    Ok(model_rows(rows))
}

/// The newest endorsement's time, if any.
pub fn newest(conn: &mut DbConn) -> QueryResult<Option<Stamp>> {
    endorsements::table
        .select(diesel::dsl::max(endorsements::created_at))
        .get_result(conn)
}

/// An endorsement's (endorser, endorsee, topic) ids.
pub fn triple_of(conn: &mut DbConn, id: i64) -> QueryResult<Option<(i32, i32, i32)>> {
    endorsements::table
        .find(id)
        .select((
            endorsements::endorser_id,
            endorsements::endorsee_id,
            endorsements::topic_id,
        ))
        .get_result(conn)
        .optional()
}

/// The key that created an endorsement (`None` for imports, or no such endorsement).
pub fn created_by(conn: &mut DbConn, id: i64) -> QueryResult<Option<i32>> {
    Ok(endorsements::table
        .find(id)
        .select(endorsements::created_by)
        .get_result::<Option<i32>>(conn)
        .optional()?
        .flatten())
}

/// The stored status of an endorsement, if it exists.
pub fn status_of(conn: &mut DbConn, id: i64) -> QueryResult<Option<Status>> {
    let raw: Option<String> = endorsements::table
        .find(id)
        .select(endorsements::status)
        .get_result(conn)
        .optional()?;
    raw.map(|s| status(id, &s)).transpose()
}

/// The stored statuses of these endorsements (those that exist; one query, so keep the list
/// to a few thousand ids).
pub fn statuses_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, Status)>> {
    let raw: Vec<(i64, String)> = endorsements::table
        .filter(endorsements::id.eq_any(ids))
        .select((endorsements::id, endorsements::status))
        .load(conn)?;
    raw.into_iter()
        .map(|(id, s)| status(id, &s).map(|st| (id, st)))
        .collect()
}

/// A stored status as its enum; one this version does not know is a storage fault, named.
fn status(id: i64, raw: &str) -> QueryResult<Status> {
    raw.parse()
        .map_err(|e: crate::domain::Rejection| super::Unreadable::error("endorsement", id, e))
}

/// Sets an endorsement's status (flagged, voided, active again).
pub fn set_status(conn: &mut DbConn, id: i64, status: Status) -> QueryResult<()> {
    diesel::update(endorsements::table.find(id))
        .set(endorsements::status.eq(status.as_str()))
        .execute(conn)?;
    super::users::received_changed(conn, id)
}

/// Live endorsements received by `endorsee` in `[from, to]`, with endorser and topic ids and
/// status: the candidates a late-reported ask may have prompted.
pub fn received_between(
    conn: &mut DbConn,
    endorsee: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(i64, i32, i32, Status)>> {
    let rows: Vec<(i64, i32, i32, String)> = endorsements::table
        .filter(endorsements::endorsee_id.eq(endorsee))
        .filter(endorsements::status.ne(Status::Revoked.as_str()))
        .filter(endorsements::created_at.ge(db_stamp(from)))
        .filter(endorsements::created_at.le(db_stamp(to)))
        .select((
            endorsements::id,
            endorsements::endorser_id,
            endorsements::topic_id,
            endorsements::status,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, a, t, s)| Ok((id, a, t, status(id, &s)?)))
        .collect()
}

/// Marks an endorsement revoked.
pub fn set_revoked(conn: &mut DbConn, id: i64, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(endorsements::table.find(id))
        .set((
            endorsements::status.eq(Status::Revoked.as_str()),
            endorsements::revoked_at.eq(Some(db_stamp(at))),
        ))
        .execute(conn)?;
    super::users::received_changed(conn, id)
}

/// Counts of live endorsements a user gave and received.
pub fn counts_for_user(conn: &mut DbConn, user: i32) -> QueryResult<(i64, i64)> {
    let given = endorsements::table
        .filter(endorsements::endorser_id.eq(user))
        .filter(endorsements::status.ne(Status::Revoked.as_str()))
        .count()
        .get_result(conn)?;
    let received = endorsements::table
        .filter(endorsements::endorsee_id.eq(user))
        .filter(endorsements::status.ne(Status::Revoked.as_str()))
        .count()
        .get_result(conn)?;
    Ok((given, received))
}

pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    endorsements::table.count().get_result(conn)
}

/// Which rows a listing returns and in what order.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub id: Option<i64>,
    pub endorser_id: Option<i32>,
    pub endorsee_id: Option<i32>,
    pub topic_id: Option<i32>,
    pub status: Option<Status>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Newest first, strictly after this position.
    pub before: Option<Cursor>,
    /// Oldest id first, strictly after this id (for full scans) instead of newest first.
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Rows matching `f`, joined with their handles and slug.
pub fn select(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<View>> {
    let (endorser_u, endorsee_u) = diesel::alias!(users as endorser_u, users as endorsee_u);
    let mut q = endorsements::table
        .inner_join(endorser_u.on(endorsements::endorser_id.eq(endorser_u.field(users::id))))
        .inner_join(endorsee_u.on(endorsements::endorsee_id.eq(endorsee_u.field(users::id))))
        .inner_join(topics::table)
        .select((
            Row::as_select(),
            endorser_u.field(users::handle),
            endorsee_u.field(users::handle),
            topics::slug,
        ))
        .into_boxed();
    if let Some(id) = f.id {
        q = q.filter(endorsements::id.eq(id));
    }
    if let Some(id) = f.endorser_id {
        q = q.filter(endorsements::endorser_id.eq(id));
    }
    if let Some(id) = f.endorsee_id {
        q = q.filter(endorsements::endorsee_id.eq(id));
    }
    if let Some(id) = f.topic_id {
        q = q.filter(endorsements::topic_id.eq(id));
    }
    if let Some(s) = f.status {
        q = q.filter(endorsements::status.eq(s.as_str()));
    }
    if let Some(t) = f.since {
        q = q.filter(endorsements::created_at.ge(db_stamp(t)));
    }
    if let Some(t) = f.until {
        q = q.filter(endorsements::created_at.lt(db_stamp(t)));
    }
    if let Some(c) = f.before {
        let t = db_stamp(c.created_at);
        q = q.filter(
            endorsements::created_at.lt(t).or(endorsements::created_at
                .eq(t)
                .and(endorsements::id.lt(c.id))),
        );
    }
    q = match f.after_id {
        Some(after) => q
            .filter(endorsements::id.gt(after))
            .order(endorsements::id.asc()),
        None => q.order((endorsements::created_at.desc(), endorsements::id.desc())),
    };
    let rows: Vec<(Row, String, String, String)> =
        q.limit(f.limit.min(super::MAX_PAGE)).load(conn)?;
    rows.into_iter()
        .map(|(r, endorser, endorsee, topic)| {
            Ok(View {
                status: status(r.id, &r.status)?,
                row_id: r.id,
                endorser,
                endorsee,
                topic,
                note: r.note,
                created_at: r.created_at,
                revoked_at: r.revoked_at,
                created_by: r.created_by,
            })
        })
        .collect()
}

/// One endorsement by id.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<View>> {
    let f = Filter {
        id: Some(id),
        limit: 1,
        ..Filter::default()
    };
    Ok(select(conn, &f)?.pop())
}

/// id, endorser, endorsee, topic, topic before a merge, note, created_at, key name.
type CreatedRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Stamp,
    Option<String>,
);

/// The `endorsement.created` payloads of the endorsements with ids in `[from, to]`, in id order,
/// rebuilt from their rows: the ledger does not store them (`domain::ledger::stores_payload`).
pub fn created_between(conn: &mut DbConn, from: i64, to: i64) -> QueryResult<Vec<Created>> {
    let (endorser_u, endorsee_u) = diesel::alias!(users as endorser_u, users as endorsee_u);
    let origin = diesel::alias!(topics as origin);
    let rows: Vec<CreatedRow> = endorsements::table
        .inner_join(endorser_u.on(endorsements::endorser_id.eq(endorser_u.field(users::id))))
        .inner_join(endorsee_u.on(endorsements::endorsee_id.eq(endorsee_u.field(users::id))))
        .inner_join(topics::table)
        // A merge moved it: its entry names the topic it was created in.
        .left_join(origin.on(endorsements::origin_topic_id.eq(origin.field(topics::id).nullable())))
        .left_join(api_keys::table)
        .filter(endorsements::id.between(from, to))
        .order(endorsements::id.asc())
        .select((
            endorsements::id,
            endorser_u.field(users::handle),
            endorsee_u.field(users::handle),
            topics::slug,
            origin.field(topics::slug).nullable(),
            endorsements::note,
            endorsements::created_at,
            api_keys::name.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, endorser, endorsee, topic, origin, note, at, by)| Created {
                id,
                endorser,
                endorsee,
                topic: origin.unwrap_or(topic),
                note,
                created_at: at.utc(),
                created_by: by,
            },
        )
        .collect())
}

/// The topic of each of the given endorsements that exists, as (endorsement, topic).
pub fn topics_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, i32)>> {
    endorsements::table
        .filter(endorsements::id.eq_any(ids))
        .select((endorsements::id, endorsements::topic_id))
        .load(conn)
}

/// When each endorsement `endorsee` received in `[from, to)` was given, revoked ones included
/// (a burst is what arrived, whatever happened to it since).
pub fn received_times(
    conn: &mut DbConn,
    endorsee: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Stamp>> {
    endorsements::table
        .filter(endorsements::endorsee_id.eq(endorsee))
        .filter(endorsements::created_at.ge(db_stamp(from)))
        .filter(endorsements::created_at.lt(db_stamp(to)))
        .select(endorsements::created_at)
        .load(conn)
}
