//! The `flags` table: detector findings and their review.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::db_time;
use crate::db::instant::Stamp;
use crate::db::schema::{api_keys, endorsements, flags, topics, users};
use crate::db::DbConn;
use crate::domain::endorsement::Status;
use crate::domain::flag::{FlagStatus, Reason};

/// A flag row.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub endorsement_id: i64,
    pub reason: Reason,
    pub score: f64,
    /// JSON.
    pub evidence: String,
    pub status: FlagStatus,
    pub created_at: NaiveDateTime,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<i32>,
}

/// A row as the table holds it: reason and status as text.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = flags)]
struct Stored {
    id: i64,
    endorsement_id: i64,
    reason: String,
    score: f64,
    evidence: String,
    status: String,
    created_at: NaiveDateTime,
    reviewed_at: Option<NaiveDateTime>,
    review_note: Option<String>,
    reviewed_by: Option<i32>,
}

impl Stored {
    /// A reason or status this version does not know is a storage fault.
    fn typed(self) -> QueryResult<Row> {
        let unknown = |what: &str, v: &str| {
            super::Unreadable::error("flag", self.id, format!("unknown {what} {v:?}"))
        };
        Ok(Row {
            reason: Reason::parse(&self.reason).ok_or_else(|| unknown("reason", &self.reason))?,
            status: FlagStatus::parse(&self.status)
                .ok_or_else(|| unknown("status", &self.status))?,
            id: self.id,
            endorsement_id: self.endorsement_id,
            score: self.score,
            evidence: self.evidence,
            created_at: self.created_at,
            reviewed_at: self.reviewed_at,
            review_note: self.review_note,
            reviewed_by: self.reviewed_by,
        })
    }
}

fn typed_all(rows: Vec<Stored>) -> QueryResult<Vec<Row>> {
    rows.into_iter().map(Stored::typed).collect()
}

/// A flag to write, with the `flag.raised` entry that raised it (seq = the flag's id, time =
/// its `created_at`), kept on its row (migration 21): the entry's hash, hex-encoded, and the
/// endorsement's status once the flag was raised, the one member of the entry's payload the
/// row does not hold otherwise.
#[derive(Debug, Clone)]
pub struct New {
    pub row: Row,
    pub entry_hash: String,
    pub entry_status: Status,
}

/// Column by column rather than through [`Stored`]: its `Option` fields would make every
/// statement one diesel cannot cache (`DEFAULT` for a `None`), parsed again on every batch.
pub fn insert_many(conn: &mut DbConn, new: &[New]) -> QueryResult<()> {
    for chunk in super::chunks(new) {
        let values: Vec<_> = chunk
            .iter()
            .map(
                |New {
                     row: r,
                     entry_hash,
                     entry_status,
                 }| {
                    (
                        flags::id.eq(r.id),
                        flags::endorsement_id.eq(r.endorsement_id),
                        flags::reason.eq(r.reason.as_str()),
                        flags::score.eq(r.score),
                        flags::evidence.eq(r.evidence.clone()),
                        flags::status.eq(r.status.as_str()),
                        flags::created_at.eq(r.created_at),
                        flags::reviewed_at.eq(r.reviewed_at),
                        flags::review_note.eq(r.review_note.clone()),
                        flags::reviewed_by.eq(r.reviewed_by),
                        // Our own hashes are always 64 hex digits.
                        flags::entry_hash.eq(Some(hex::decode(entry_hash).unwrap_or_default())),
                        flags::entry_status.eq(Some(entry_status.as_str())),
                    )
                },
            )
            .collect();
        super::insert_rows!(conn, flags::table, values)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Row>> {
    flags::table
        .find(id)
        .select(Stored::as_select())
        .get_result(conn)
        .optional()?
        .map(Stored::typed)
        .transpose()
}

/// Every flag of an endorsement.
pub fn of_endorsement(conn: &mut DbConn, endorsement_id: i64) -> QueryResult<Vec<Row>> {
    typed_all(
        flags::table
            .filter(flags::endorsement_id.eq(endorsement_id))
            .select(Stored::as_select())
            .load(conn)?,
    )
}

/// The flags of these endorsements (keep the list to a few thousand ids: one query).
pub fn of_endorsements(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<Row>> {
    typed_all(
        flags::table
            .filter(flags::endorsement_id.eq_any(ids))
            .select(Stored::as_select())
            .load(conn)?,
    )
}

/// Records a review.
pub fn set_reviewed(
    conn: &mut DbConn,
    id: i64,
    status: FlagStatus,
    at: DateTime<Utc>,
    note: Option<&str>,
    by: i32,
) -> QueryResult<()> {
    diesel::update(flags::table.find(id))
        .set((
            flags::status.eq(status.as_str()),
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
    pub status: Option<FlagStatus>,
    pub reason: Option<Reason>,
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
    Stored,
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
pub fn open_with_reason(conn: &mut DbConn, reason: Reason) -> QueryResult<Vec<(i64, String)>> {
    flags::table
        .filter(flags::status.eq(FlagStatus::Open.as_str()))
        .filter(flags::reason.eq(reason.as_str()))
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
            Stored::as_select(),
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
    if let Some(s) = f.status {
        q = q.filter(flags::status.eq(s.as_str()));
    }
    if let Some(r) = f.reason {
        q = q.filter(flags::reason.eq(r.as_str()));
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
    rows.into_iter()
        .map(
            |(
                row,
                endorser,
                endorsee,
                topic,
                reviewed_by,
                (endorsed_at, endorsee_id, topic_id),
            )| {
                Ok(Named {
                    row: row.typed()?,
                    endorser,
                    endorsee,
                    topic,
                    reviewed_by,
                    endorsed_at,
                    endorsee_id,
                    topic_id,
                })
            },
        )
        .collect()
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
    let rows: Vec<(Stored, Option<String>)> = flags::table
        .left_join(api_keys::table)
        .filter(flags::id.gt(after_id))
        .order(flags::id.asc())
        .limit(limit)
        .select((Stored::as_select(), api_keys::name.nullable()))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, by)| Ok((row.typed()?, by)))
        .collect()
}

pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    flags::table.count().get_result(conn)
}
