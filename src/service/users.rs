//! Users and topics as seen from outside.

use chrono::{DateTime, Utc};

use super::{Error, Result};
use crate::db::DbConn;
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

/// A topic and its count of live endorsements.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TopicInfo {
    pub slug: String,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Live endorsements in the topic.
    pub endorsements: i64,
}

pub fn topics(conn: &mut DbConn) -> Result<Vec<TopicInfo>> {
    Ok(storage::topics::list_with_counts(conn)?
        .into_iter()
        .map(|t| TopicInfo {
            slug: t.slug,
            created_at: from_db(t.created_at),
            endorsements: t.endorsements,
        })
        .collect())
}
