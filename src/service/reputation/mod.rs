//! Reputation as analysts see it: a user's topics, a topic's leaderboard, a score's history, a
//! topic's parameters and seeds; and, in submodules, recomputing and explaining scores.

pub mod cache;
mod compute;
pub mod explain;
mod load;
pub mod recompute;
pub mod worker;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tx::Tx;
use super::{Error, Principal, Result};
use crate::db::DbConn;
use crate::domain::cursor::RankCursor;
use crate::domain::handle::Handle;
use crate::domain::reputation::Params;
use crate::domain::time::from_db;
use crate::domain::topic::TopicSlug as Topic;
use crate::domain::Rejection;
use crate::storage;
use crate::storage::reputation::{Run, Score};

pub use recompute::{recompute, Report, Scope};

/// A user's standing in one topic.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicScore {
    pub topic: String,
    /// 0–100 to two decimals: `100 · ln(1 + n·raw) / ln(1 + n·max raw)` over the topic's n users.
    pub score: f64,
    /// The stationary probability of the topic's walk (all users' raw scores sum to 1).
    pub raw: f64,
    /// 1 = highest; equal scores share a rank.
    pub rank: i32,
    /// Share of the topic's users whose score is at most this one, in percent, to one decimal
    /// (the top user is at 100).
    pub percentile: f64,
    /// Endorsements received that count in full.
    pub counted: i32,
    /// Endorsements received that are held by a flag (counted at a discount) or voided.
    pub discounted: i32,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: DateTime<Utc>,
}

fn topic_score(s: &Score, topic: String, run: &Run) -> TopicScore {
    TopicScore {
        topic,
        score: s.score,
        raw: s.raw,
        rank: s.rank,
        percentile: s.percentile,
        counted: s.counted,
        discounted: s.discounted,
        computed_at: from_db(run.computed_at),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserReputation {
    pub user: String,
    /// Every topic in which the user has a score, by slug.
    pub topics: Vec<TopicScore>,
}

fn user_id(conn: &mut DbConn, handle: &Handle) -> Result<i32> {
    storage::users::find_id(conn, handle.as_str())?
        .ok_or_else(|| Error::NotFound(format!("user {handle}")))
}

fn topic_id(conn: &mut DbConn, topic: &Topic) -> Result<i32> {
    storage::topics::find_id(conn, topic.as_str())?
        .ok_or_else(|| Error::NotFound(format!("topic {topic}")))
}

pub fn of_user(conn: &mut DbConn, handle: &Handle) -> Result<UserReputation> {
    let user = user_id(conn, handle)?;
    let topics = storage::reputation::of_user(conn, user)?
        .into_iter()
        .map(|(s, slug, run)| topic_score(&s, slug, &run))
        .collect();
    Ok(UserReputation {
        user: handle.to_string(),
        topics,
    })
}

/// One row of a leaderboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeaderRow {
    pub rank: i32,
    pub user: String,
    pub score: f64,
    pub raw: f64,
    pub percentile: f64,
    pub counted: i32,
    pub discounted: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Leaderboard {
    pub topic: String,
    /// When the scores were computed; `null` before the topic's first recompute.
    #[serde(with = "crate::domain::time::serde_micros_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub computed_at: Option<DateTime<Utc>>,
    pub items: Vec<LeaderRow>,
    pub next_cursor: Option<String>,
}

pub fn leaderboard(
    conn: &mut DbConn,
    topic: &Topic,
    after: Option<RankCursor>,
    limit: i64,
) -> Result<Leaderboard> {
    let id = topic_id(conn, topic)?;
    let Some(run) = storage::reputation::current_run(conn, id)? else {
        return Ok(Leaderboard {
            topic: topic.to_string(),
            computed_at: None,
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let rows =
        storage::reputation::leaderboard(conn, run.id, after.map(|c| (c.rank, c.user_id)), limit)?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last())
        .flatten()
        .map(|(s, _)| {
            RankCursor {
                rank: s.rank,
                user_id: s.user_id,
            }
            .encode()
        });
    Ok(Leaderboard {
        topic: topic.to_string(),
        computed_at: Some(from_db(run.computed_at)),
        items: rows
            .into_iter()
            .map(|(s, user)| LeaderRow {
                rank: s.rank,
                user,
                score: s.score,
                raw: s.raw,
                percentile: s.percentile,
                counted: s.counted,
                discounted: s.discounted,
            })
            .collect(),
        next_cursor,
    })
}

/// A score over time: the current run and one kept run a day before it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct History {
    pub user: String,
    pub topic: String,
    /// Oldest first.
    pub points: Vec<TopicScore>,
}

pub fn history(conn: &mut DbConn, handle: &Handle, topic: &Topic) -> Result<History> {
    let user = user_id(conn, handle)?;
    let id = topic_id(conn, topic)?;
    let points = storage::reputation::history(conn, id, user)?
        .into_iter()
        .map(|(s, run)| topic_score(&s, topic.to_string(), &run))
        .collect();
    Ok(History {
        user: handle.to_string(),
        topic: topic.to_string(),
        points,
    })
}

/// The last recompute of a topic.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastRun {
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: DateTime<Utc>,
    pub users: i32,
    pub endorsements: i64,
    pub iterations: i32,
    /// The parameters that run used.
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
}

/// A topic as analysts see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicDetail {
    pub slug: String,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Every endorsement ever given in the topic, by status (as in `GET /v1/topics`).
    pub endorsements: crate::service::users::EndorsementCounts,
    pub seeds: Vec<String>,
    /// `null` before the first recompute.
    pub last_recompute: Option<LastRun>,
    /// The parameters the next recompute will use.
    pub params: Params,
}

pub fn topic(conn: &mut DbConn, topic: &Topic, params: &Params) -> Result<TopicDetail> {
    let row = storage::topics::find(conn, topic.as_str())?
        .ok_or_else(|| Error::NotFound(format!("topic {topic}")))?;
    let endorsements = crate::service::users::EndorsementCounts::from_rows(
        storage::topics::counts_by_status(conn, row.0)?,
    );
    let last_recompute = storage::reputation::current_run(conn, row.0)?.map(|r| LastRun {
        computed_at: from_db(r.computed_at),
        users: r.users,
        endorsements: r.endorsements,
        iterations: r.iterations,
        params: serde_json::from_str(&r.params).unwrap_or(serde_json::Value::Null),
    });
    Ok(TopicDetail {
        slug: row.1,
        created_at: from_db(row.2),
        endorsements,
        seeds: storage::reputation::seed_handles(conn, row.0)?,
        last_recompute,
        params: *params,
    })
}

/// A topic's seeds.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Seeds {
    /// Handles of the topic's pre-trusted users; empty: teleport to every active user.
    pub seeds: Vec<String>,
}

/// Most seeds a topic can have.
pub const MAX_SEEDS: usize = 1000;

pub fn seeds(conn: &mut DbConn, topic: &Topic) -> Result<Seeds> {
    let id = topic_id(conn, topic)?;
    Ok(Seeds {
        seeds: storage::reputation::seed_handles(conn, id)?,
    })
}

/// Replaces a topic's seeds (users are created on first use, like endorsements do) and records
/// the change in the ledger. Call inside a write transaction.
pub fn set_seeds(
    tx: &mut Tx<'_>,
    topic: &Topic,
    seeds: &[Handle],
    by: &Principal,
) -> Result<Seeds> {
    let now = crate::domain::time::now();
    let topic = &tx.topic(topic);
    let id = topic_id(tx.conn()?, topic)?;
    let mut handles: Vec<String> = seeds.iter().map(ToString::to_string).collect();
    handles.sort();
    handles.dedup();
    // A seed nobody has seen would top the leaderboard alone and push every real user to 0.
    let unknown: Vec<String> = handles
        .iter()
        .filter(|h| tx.model().users.id(h).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(Rejection::UnknownUsers { handles: unknown }.into());
    }
    let users: Vec<i32> = handles.iter().map(|h| tx.user_id(h, now)).collect();
    tx.append(now, |_| crate::domain::ledger::SeedsSet {
        topic: topic.to_string(),
        seeds: handles.clone(),
        by: by.name.clone(),
    });
    storage::reputation::set_seeds(tx.conn()?, id, &users)?;
    Ok(Seeds { seeds: handles })
}

/// The ids of the given topics; an unknown slug is not found.
pub fn topic_ids(conn: &mut DbConn, topics: &[Topic]) -> Result<Vec<i32>> {
    topics.iter().map(|t| topic_id(conn, t)).collect()
}
