//! Users and topics as seen from outside.

use chrono::{DateTime, Utc};

use super::{Error, Result};
use crate::db::DbConn;
use crate::domain::cursor::NameCursor;
use crate::domain::endorsement::Status;
use crate::domain::handle::Handle;
use crate::domain::time::from_db;
use crate::storage;

/// A user and their counts of live endorsements.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    pub handle: String,
    /// When the handle was first used.
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Live endorsements this user gave.
    pub given: i64,
    /// Live endorsements this user received.
    pub received: i64,
}

pub fn get(conn: &mut DbConn, handle: &Handle) -> Result<UserInfo> {
    let user = storage::users::find(conn, handle.as_str())?
        .ok_or_else(|| Error::NotFound(format!("user {handle}")))?;
    let (given, received) = storage::endorsements::counts_for_user(conn, user.id)?;
    Ok(UserInfo {
        handle: user.handle,
        created_at: from_db(user.created_at),
        given,
        received,
    })
}

/// A topic's endorsements, every one ever given, by status. Only `active` ones count toward
/// reputation; `flagged` ones wait for a moderator; `voided` ones a moderator upheld a flag on;
/// `revoked` ones the endorser took back.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EndorsementCounts {
    pub active: i64,
    pub flagged: i64,
    pub voided: i64,
    pub revoked: i64,
}

impl EndorsementCounts {
    /// From `(status, count)` rows as storage groups them.
    pub fn from_rows(rows: impl IntoIterator<Item = (Status, i64)>) -> EndorsementCounts {
        let mut c = EndorsementCounts::default();
        for (status, n) in rows {
            match status {
                Status::Active => c.active += n,
                Status::Flagged => c.flagged += n,
                Status::Voided => c.voided += n,
                Status::Revoked => c.revoked += n,
            }
        }
        c
    }
}

/// A topic and its endorsements by status.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopicInfo {
    pub slug: String,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    pub endorsements: EndorsementCounts,
}

/// A page of topics by slug.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopicPage {
    pub items: Vec<TopicInfo>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Up to `limit` topics by slug, after the topic the cursor names.
pub fn topics(conn: &mut DbConn, after: Option<NameCursor>, limit: i64) -> Result<TopicPage> {
    let after = after.map(|c| c.0);
    let mut rows = storage::topics::page_with_counts(conn, after.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|t| NameCursor(t.slug.clone()).encode()))
        .flatten();
    let items = rows
        .into_iter()
        .map(|t| TopicInfo {
            slug: t.slug,
            created_at: from_db(t.created_at),
            endorsements: EndorsementCounts::from_rows(t.by_status),
        })
        .collect();
    Ok(TopicPage { items, next_cursor })
}
