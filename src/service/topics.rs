//! Topics coming into being: by use, within the server's [`TopicPolicy`], or made by an admin.

use chrono::{DateTime, Utc};

use super::tx::Tx;
use super::{Principal, Result};
use crate::domain::keys::Role;
use crate::domain::ledger::TopicCreated;
use crate::domain::rules::{self, BudgetUse, TopicPolicy, BUDGET_WINDOW};
use crate::domain::time;
use crate::domain::topic::TopicSlug;
use crate::storage;

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
