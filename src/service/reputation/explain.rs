//! A score taken apart: `raw(v) = baseline + Σ d · raw(u) · w(u→v) / W(u)` over the endorsements
//! `u → v`, where `w` is status weight × decay and `W(u)` is the decayed total of everything `u`
//! gave in the topic (held endorsements at full weight). Each term is one endorsement's part; the
//! baseline is what every user gets from teleports (and from score nobody passed on).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{topic_id, user_id};
use crate::db::DbConn;
use crate::domain::cursor::ExplainCursor;
use crate::domain::endorsement::Status;
use crate::domain::handle::Handle;
use crate::domain::reputation::Params;
use crate::domain::time::from_db;
use crate::domain::topic::TopicSlug as Topic;
use crate::domain::Rejection;
use crate::service::{Error, Result};
use crate::storage;

/// Most endorsements listed in each part on one page; the totals always cover all of them.
pub const MAX_LISTED: usize = 500;
/// Endorsements listed in each part when the client does not say.
pub const DEFAULT_LISTED: usize = 100;
/// Endorsers looked up per query.
const BATCH: usize = 500;

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

/// A score taken apart, one page of each part: its largest contributions first.
pub fn explain(
    conn: &mut DbConn,
    handle: &Handle,
    topic: &Topic,
    page: Page,
) -> Result<Explanation> {
    let user = user_id(conn, handle)?;
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
    let own = storage::reputation::scores_in_run(conn, run.id, &[user])?;
    let own = own.first().ok_or_else(not_scored)?;
    let params: Params = serde_json::from_str(&run.params)
        .map_err(|e| Error::Internal(format!("run {} parameters: {e}", run.id)))?;
    let at = from_db(run.computed_at);
    let inbound = storage::reputation::inbound(conn, user, topic_db, from_db(run.computed_at))?;
    let mut endorsers: Vec<i32> = inbound.iter().map(|r| r.endorser_id).collect();
    endorsers.sort_unstable();
    endorsers.dedup();
    let mut merit: HashMap<i32, (f64, f64)> = HashMap::new();
    let mut gave: HashMap<i32, f64> = HashMap::new();
    let mut unknown_out = Vec::new();
    for chunk in endorsers.chunks(BATCH) {
        for s in storage::reputation::scores_in_run(conn, run.id, chunk)? {
            merit.insert(s.user_id, (s.raw, s.score));
            // The run stored what each endorser gave in all: no need to read it back.
            match s.out_weight {
                Some(w) => {
                    gave.insert(s.user_id, w);
                }
                None => unknown_out.push(s.user_id),
            }
        }
    }
    // Runs written before out-weights were stored: add up what those endorsers gave.
    for chunk in unknown_out.chunks(BATCH) {
        for g in storage::reputation::given(conn, chunk, topic_db, from_db(run.computed_at))? {
            // Shares are of the full weight given: a held endorsement still takes its place.
            *gave.entry(g.endorser).or_default() += params.decay(g.created_at.utc(), at);
        }
    }
    let (mut counted, mut discounted) = (Vec::new(), Vec::new());
    let mut endorser_of: HashMap<i64, i32> = HashMap::with_capacity(inbound.len());
    for row in inbound {
        let storage::reputation::Inbound {
            id,
            endorser_id,
            status,
            created_at,
        } = row;
        endorser_of.insert(id, endorser_id);
        let created_at = created_at.utc();
        let weight = params.status_weight(status);
        let decay = params.decay(created_at, at);
        let total = gave.get(&endorser_id).copied().unwrap_or(0.0);
        let endorser_share = if total > 0.0 {
            weight * decay / total
        } else {
            0.0
        };
        let (endorser_raw, endorser_score) = merit.get(&endorser_id).copied().unwrap_or_default();
        let contribution = params.damping * endorser_raw * endorser_share;
        let c = Contribution {
            endorsement_id: id,
            // Filled in for the page shown (`name_endorsers`).
            endorser: String::new(),
            endorser_raw,
            endorser_score,
            status,
            created_at,
            weight,
            decay,
            endorser_share,
            contribution,
            share: if own.raw > 0.0 {
                contribution / own.raw
            } else {
                0.0
            },
            flag_reasons: Vec::new(),
        };
        match status {
            Status::Active => counted.push(c),
            _ => discounted.push(c),
        }
    }
    let from_endorsements: f64 = counted
        .iter()
        .chain(&discounted)
        .map(|c| c.contribution)
        .sum();
    let by_size = |a: &Contribution, b: &Contribution| {
        b.contribution
            .total_cmp(&a.contribution)
            .then(a.endorsement_id.cmp(&b.endorsement_id))
    };
    counted.sort_by(by_size);
    discounted.sort_by(by_size);
    let (counted_total, discounted_total) = (counted.len(), discounted.len());
    let limit = page.limit.clamp(1, MAX_LISTED);
    let (mut counted, counted_after) = one_page(counted, after.counted as usize, limit);
    let (mut discounted, discounted_after) = one_page(discounted, after.discounted as usize, limit);
    name_endorsers(conn, &endorser_of, &mut counted, &mut discounted)?;
    // Flag reasons only for the page shown: a query each.
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
        computed_at: at,
        raw: own.raw,
        score: own.score,
        rank: own.rank,
        baseline: (own.raw - from_endorsements).max(0.0),
        counted,
        counted_total,
        discounted,
        discounted_total,
        counted_after,
        discounted_after,
        next_cursor,
        params,
    })
}

/// Gives the contributions shown their endorsers' handles, in one query.
fn name_endorsers(
    conn: &mut DbConn,
    endorser_of: &HashMap<i64, i32>,
    counted: &mut [Contribution],
    discounted: &mut [Contribution],
) -> Result<()> {
    let shown = || counted.iter().chain(discounted.iter());
    let mut ids: Vec<i32> = shown()
        .filter_map(|c| endorser_of.get(&c.endorsement_id).copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let handles: HashMap<i32, String> = storage::users::handles(conn, &ids)?.into_iter().collect();
    for c in counted.iter_mut().chain(discounted.iter_mut()) {
        let id = endorser_of.get(&c.endorsement_id);
        match id.and_then(|id| handles.get(id)) {
            Some(handle) => c.endorser = handle.clone(),
            None => {
                return Err(Error::Internal(format!(
                    "endorsement {}: its endorser has no handle",
                    c.endorsement_id
                )))
            }
        }
    }
    Ok(())
}

/// The `limit` contributions from `skip` on, and what comes after them.
fn one_page(all: Vec<Contribution>, skip: usize, limit: usize) -> (Vec<Contribution>, Rest) {
    let mut rest = all.into_iter().skip(skip);
    let page: Vec<Contribution> = rest.by_ref().take(limit).collect();
    let after = rest.fold(Rest::default(), |r, c| Rest {
        endorsements: r.endorsements + 1,
        contribution: r.contribution + c.contribution,
    });
    (page, after)
}
