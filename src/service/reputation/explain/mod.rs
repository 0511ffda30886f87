//! A score taken apart: `raw(v) = baseline + Σ d · raw(u) · w(u→v) / W(u)` over the endorsements
//! `u → v`, where `w` is status weight × decay and `W(u)` is the decayed total of everything `u`
//! gave in the topic (held endorsements at full weight). Each term is one endorsement's part; the
//! baseline is what every user gets from teleports (and from score nobody passed on).

mod cache;
mod weigh;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::topic_id;
use crate::db::DbConn;
use crate::domain::cursor::ExplainCursor;
use crate::domain::endorsement::Status;
use crate::domain::handle::Handle;
use crate::domain::reputation::Params;
use crate::domain::topic::TopicSlug as Topic;
use crate::domain::Rejection;
use crate::service::{Error, Result};
use crate::storage;
pub use cache::Explanations;
use cache::Key;
use weigh::Weighted;

/// Most endorsements listed in each part on one page; the totals always cover all of them.
pub const MAX_LISTED: usize = 500;
/// Endorsements listed in each part when the client does not say.
pub const DEFAULT_LISTED: usize = 100;

/// One endorsement's part in a score.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contribution {
    pub endorsement_id: i64,
    pub endorser: String,
    /// The endorser's own raw score in the topic: their merit.
    pub endorser_raw: f64,
    /// The endorser's own 0–100 score in the topic.
    pub endorser_score: f64,
    pub status: Status,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Status weight: 1 active, the flagged weight while held, 0 voided.
    pub weight: f64,
    /// Time decay at the time of the run (1 = no decay).
    pub decay: f64,
    /// The part of everything the endorser gave in the topic that this endorsement carries.
    pub endorser_share: f64,
    /// `d · endorser_raw · weight · decay / W(endorser)`: raw score this endorsement adds.
    pub contribution: f64,
    /// `contribution / raw`: the part of the score owed to this endorsement.
    pub share: f64,
    /// Why it is discounted: the reasons of the flags on it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flag_reasons: Vec<String>,
}

/// What the pages after this one hold of one part: how many endorsements, and how much of the
/// raw score they add together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rest {
    pub endorsements: usize,
    pub contribution: f64,
}

/// Which page of an explanation to give.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Endorsements per part, 1–[`MAX_LISTED`].
    pub limit: usize,
    pub after: Option<ExplainCursor>,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            limit: DEFAULT_LISTED,
            after: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub user: String,
    pub topic: String,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: DateTime<Utc>,
    pub raw: f64,
    pub score: f64,
    pub rank: i32,
    /// What the user gets from teleports and from users who endorse nobody.
    pub baseline: f64,
    /// Endorsements counting in full, largest contribution first.
    pub counted: Vec<Contribution>,
    pub counted_total: usize,
    /// Endorsements held by a flag (at a discount) or voided (at 0), largest first.
    pub discounted: Vec<Contribution>,
    pub discounted_total: usize,
    /// What later pages hold of the counted endorsements.
    pub counted_after: Rest,
    /// What later pages hold of the discounted endorsements.
    pub discounted_after: Rest,
    /// Give it as `cursor` for the next page of both parts; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The parameters of the run explained.
    pub params: Params,
}

/// A score taken apart, one page of each part: its largest contributions first. A user with
/// many endorsers is weighed once per run and served from `cache` after that, until a status
/// among what they received changes.
pub fn explain(
    conn: &mut DbConn,
    cache: &Explanations,
    handle: &Handle,
    topic: &Topic,
    page: Page,
) -> Result<Explanation> {
    let (user, changes) = storage::users::find_with_changes(conn, handle.as_str())?
        .ok_or_else(|| Error::NotFound(format!("user {handle}")))?;
    let topic_db = topic_id(conn, topic)?;
    let not_scored = || Error::NotFound(format!("a score for {handle} in topic {topic}"));
    let run = storage::reputation::current_run(conn, topic_db)?.ok_or_else(not_scored)?;
    let after = page.after.unwrap_or(ExplainCursor {
        run: run.id,
        counted: 0,
        discounted: 0,
    });
    if after.run != run.id {
        return Err(Rejection::CursorOutdated.into());
    }
    let key = Key {
        run: run.id,
        user,
        changes,
    };
    let weighed = match cache.get(&key) {
        Some(w) => w,
        None => {
            let w = Arc::new(weigh::weigh(conn, &run, user, topic_db)?.ok_or_else(not_scored)?);
            cache.put(key, &w);
            w
        }
    };
    let limit = page.limit.clamp(1, MAX_LISTED);
    let (counted, counted_after) = one_page(&weighed.counted, after.counted as usize, limit);
    let (discounted, discounted_after) =
        one_page(&weighed.discounted, after.discounted as usize, limit);
    let handles = handles_of(conn, counted.iter().chain(discounted))?;
    let (counted, mut discounted) = (
        name_endorsers(&handles, counted)?,
        name_endorsers(&handles, discounted)?,
    );
    // Flag reasons only for the page shown, read live: a flag raised on an endorsement already
    // held changes no status.
    for c in &mut discounted {
        c.flag_reasons = storage::flags::of_endorsement(conn, c.endorsement_id)?
            .into_iter()
            .map(|f| f.reason.as_str().to_string())
            .collect();
    }
    let next_cursor =
        (counted_after.endorsements > 0 || discounted_after.endorsements > 0).then(|| {
            ExplainCursor {
                run: run.id,
                counted: (after.counted as usize + counted.len()) as u32,
                discounted: (after.discounted as usize + discounted.len()) as u32,
            }
            .encode()
        });
    Ok(Explanation {
        user: handle.to_string(),
        topic: topic.to_string(),
        computed_at: weighed.computed_at,
        raw: weighed.raw,
        score: weighed.score,
        rank: weighed.rank,
        baseline: weighed.baseline,
        counted,
        counted_total: weighed.counted.len(),
        discounted,
        discounted_total: weighed.discounted.len(),
        counted_after,
        discounted_after,
        next_cursor,
        params: weighed.params,
    })
}

/// The handles of the endorsers of the contributions shown, both parts in one query.
fn handles_of<'a>(
    conn: &mut DbConn,
    shown: impl Iterator<Item = &'a Weighted>,
) -> Result<HashMap<i32, String>> {
    let mut ids: Vec<i32> = shown.map(|w| w.endorser_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(storage::users::handles(conn, &ids)?.into_iter().collect())
}

/// The contributions shown, with their endorsers' handles.
fn name_endorsers(handles: &HashMap<i32, String>, shown: &[Weighted]) -> Result<Vec<Contribution>> {
    shown
        .iter()
        .map(|w| {
            let handle = handles.get(&w.endorser_id).ok_or_else(|| {
                Error::Internal(format!(
                    "endorsement {}: its endorser has no handle",
                    w.contribution.endorsement_id
                ))
            })?;
            Ok(Contribution {
                endorser: handle.clone(),
                ..w.contribution.clone()
            })
        })
        .collect()
}

/// The `limit` contributions from `skip` on, and what comes after them.
fn one_page(all: &[Weighted], skip: usize, limit: usize) -> (&[Weighted], Rest) {
    let from = skip.min(all.len());
    let to = from.saturating_add(limit).min(all.len());
    let after = all[to..].iter().fold(Rest::default(), |r, w| Rest {
        endorsements: r.endorsements + 1,
        contribution: r.contribution + w.contribution.contribution,
    });
    (&all[from..to], after)
}
