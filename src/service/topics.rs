//! Topics coming into being (by use, within the server's [`TopicPolicy`], or made by an admin),
//! and merged into one another.

use chrono::{DateTime, Utc};

use super::tx::Tx;
use super::{Error, Principal, Result};
use crate::db::{write_tx, DbConn};
use crate::domain::keys::Role;
use crate::domain::ledger::{next_entry, TopicCreated, TopicMerged};
use crate::domain::rules::{self, BudgetUse, TopicPolicy, BUDGET_WINDOW};
use crate::domain::time;
use crate::domain::topic::TopicSlug;
use crate::domain::topic::{kept_in_merge, Live};
use crate::storage;
use crate::storage::topic_merge;

/// Refuses, before anything is written, a write by `by` that would create the topic `slug` at
/// `now` when the policy does not let that key create it.
pub fn check_new(
    tx: &mut Tx<'_>,
    slug: &str,
    by: &Principal,
    policy: &TopicPolicy,
    now: DateTime<Utc>,
) -> Result<()> {
    let admin = by.role == Role::Admin;
    let created = match (admin, policy.open, policy.per_key) {
        (false, true, Some(limit)) => {
            let recent =
                storage::topics::created_by_since(tx.conn()?, by.key_id, now - BUDGET_WINDOW)?;
            BudgetUse {
                limit: Some(limit),
                used: u32::try_from(recent.len()).unwrap_or(u32::MAX),
                oldest: recent.first().map(|t| t.and_utc()),
            }
        }
        _ => BudgetUse::default(),
    };
    Ok(rules::check_new_topic(
        policy, slug, &by.name, admin, created, now,
    )?)
}

/// Creates the topic `slug` (an admin's `PUT /v1/topics/{slug}`), recorded in the ledger as
/// `topic.created`. Returns whether it was created (`false`: it existed already).
pub fn create(tx: &mut Tx<'_>, slug: &TopicSlug, by: &Principal) -> Result<bool> {
    if tx.model().topics.id(slug.as_str()).is_some() {
        return Ok(false);
    }
    let now = time::now();
    tx.topic_id(slug.as_str(), now, Some(by.key_id));
    tx.append(now, |_| TopicCreated {
        topic: slug.to_string(),
        created_at: now,
        by: by.name.clone(),
    });
    Ok(true)
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Merged {
    pub from: String,
    pub into: String,
    /// Whether `into` was created by the merge (nobody had used it).
    pub created: bool,
    /// Endorsements moved, revoked ones included.
    pub moved: u64,
    /// Endorsements revoked because their pair of users was live in both topics.
    pub revoked: Vec<i64>,
    /// The `topic.merged` entry.
    pub seq: i64,
}

/// Merges the topic stored as `from` (exactly: older versions kept slugs such as `-rust--lang-`
/// that no request can name now) into `into`, recorded as `topic.merged`: endorsements, reports
/// and seeds move, `from`'s scores go, and writes naming `from` go to `into` from then on.
/// `by` is the key's name, `None` for the command line. Runs in its own write transaction;
/// a running server's writer sees the entry and loads its state again.
pub fn merge(conn: &mut DbConn, from: &str, into: &TopicSlug, by: Option<&str>) -> Result<Merged> {
    write_tx(conn, |conn| merge_in(conn, from, into, by))
}

fn merge_in(conn: &mut DbConn, from: &str, into: &TopicSlug, by: Option<&str>) -> Result<Merged> {
    let from_id = unmerged(conn, from)?.ok_or_else(|| Error::NotFound(format!("topic {from}")))?;
    if from == into.as_str() {
        return Err(Error::Conflict {
            code: "same_topic",
            detail: format!("cannot merge topic {from} into itself"),
        });
    }
    let now = time::now();
    let (into_id, created) = match unmerged(conn, into.as_str())? {
        Some(id) => (id, false),
        None => (topic_merge::create_target(conn, into.as_str(), now)?, true),
    };
    let mut revoked: Vec<i64> = topic_merge::live_in_both(conn, from_id, into_id)?
        .into_iter()
        .map(|(a, b)| {
            let (a, b) = (live(&a), live(&b));
            if kept_in_merge(a, b) == a {
                b.id
            } else {
                a.id
            }
        })
        .collect();
    revoked.sort_unstable();
    // Revoked first: a pair may have only one live endorsement in a topic.
    for id in &revoked {
        topic_merge::revoke(conn, *id, now)?;
    }
    let moved = topic_merge::merge(conn, from_id, into_id)? as u64;
    let payload = TopicMerged {
        from: from.to_string(),
        into: into.to_string(),
        moved,
        revoked: revoked.clone(),
        by: by.map(str::to_string),
    };
    let head = storage::ledger::head(conn)?;
    let entry = next_entry(head.as_ref().map(|(s, h)| (*s, h.as_str())), now, &payload);
    storage::ledger::insert_many(conn, std::slice::from_ref(&entry))?;
    Ok(Merged {
        from: payload.from,
        into: payload.into,
        created,
        moved,
        revoked,
        seq: entry.seq,
    })
}

/// The id of the topic stored exactly as `slug`; a topic already merged cannot take part in
/// another merge (merge what it was merged into instead).
fn unmerged(conn: &mut DbConn, slug: &str) -> Result<Option<i32>> {
    match storage::topics::find_exact(conn, slug)? {
        None => Ok(None),
        Some((id, None)) => Ok(Some(id)),
        Some((_, Some(into))) => Err(Error::Conflict {
            code: "topic_merged",
            detail: format!(
                "topic {slug} was merged into {} already",
                storage::topics::slug_of(conn, into)?
            ),
        }),
    }
}

fn live(row: &topic_merge::LiveRow) -> Live {
    Live {
        id: row.id,
        status: row.status,
        created_at: row.created_at.utc(),
    }
}

/// Stored slugs that requests can no longer name (older versions kept runs of dashes and
/// dashes at the ends), each with the form requests now give it: what to merge into what.
pub fn odd(conn: &mut DbConn) -> Result<Vec<(String, Option<TopicSlug>)>> {
    let merged: std::collections::HashSet<String> = storage::topics::aliases(conn)?
        .into_iter()
        .map(|(slug, _)| slug)
        .collect();
    Ok(storage::topics::all_ids(conn)?
        .into_iter()
        .filter(|(_, slug)| !TopicSlug::is_normal(slug) && !merged.contains(slug))
        .map(|(_, slug)| {
            let normal = TopicSlug::parse(&slug).ok();
            (slug, normal)
        })
        .collect())
}
