//! Weighing every endorsement a user received in a run: the part of the work an explanation
//! does once per run and user, whatever page is asked for.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Contribution;
use crate::db::DbConn;
use crate::domain::endorsement::Status;
use crate::domain::reputation::Params;
use crate::domain::time::from_db;
use crate::service::{Error, Result};
use crate::storage;
use crate::storage::reputation::Run;

/// Endorsers looked up per query.
const BATCH: usize = 500;

/// One endorsement's part, with its endorser's id (the handle is read for the page shown).
#[derive(Debug, Clone)]
pub struct Weighted {
    pub endorser_id: i32,
    pub contribution: Contribution,
}

/// A user's score in one run with every endorsement's part, each part largest first.
#[derive(Debug)]
pub struct Weighed {
    pub computed_at: DateTime<Utc>,
    pub raw: f64,
    pub score: f64,
    pub rank: i32,
    /// What the user gets from teleports and from users who endorse nobody.
    pub baseline: f64,
    pub params: Params,
    /// Endorsements counting in full.
    pub counted: Vec<Weighted>,
    /// Endorsements held by a flag (at a discount) or voided (at 0).
    pub discounted: Vec<Weighted>,
}

impl Weighed {
    /// Contributions held: what the cache's budget counts.
    pub fn size(&self) -> usize {
        self.counted.len() + self.discounted.len()
    }
}

/// Weighs what `user` received in `run`'s topic; `None` when the run did not score them.
pub fn weigh(conn: &mut DbConn, run: &Run, user: i32, topic: i32) -> Result<Option<Weighed>> {
    let Some(own) = storage::reputation::scores_in_run(conn, run.id, &[user])?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let params: Params = serde_json::from_str(&run.params)
        .map_err(|e| Error::Internal(format!("run {} parameters: {e}", run.id)))?;
    let at = from_db(run.computed_at);
    let inbound = storage::reputation::inbound(conn, user, topic, at)?;
    let mut endorsers: Vec<i32> = inbound.iter().map(|r| r.endorser_id).collect();
    endorsers.sort_unstable();
    endorsers.dedup();
    let (merit, gave) = endorsers_in_run(conn, run, &params, topic, &endorsers)?;
    let (mut counted, mut discounted) = (Vec::new(), Vec::new());
    for row in inbound {
        let storage::reputation::Inbound {
            id,
            endorser_id,
            status,
            created_at,
        } = row;
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
            // Filled in for the page shown.
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
        let w = Weighted {
            endorser_id,
            contribution: c,
        };
        match status {
            Status::Active => counted.push(w),
            _ => discounted.push(w),
        }
    }
    let from_endorsements: f64 = counted
        .iter()
        .chain(&discounted)
        .map(|w| w.contribution.contribution)
        .sum();
    let by_size = |a: &Weighted, b: &Weighted| {
        let (a, b) = (&a.contribution, &b.contribution);
        b.contribution
            .total_cmp(&a.contribution)
            .then(a.endorsement_id.cmp(&b.endorsement_id))
    };
    counted.sort_by(by_size);
    discounted.sort_by(by_size);
    Ok(Some(Weighed {
        computed_at: at,
        raw: own.raw,
        score: own.score,
        rank: own.rank,
        baseline: (own.raw - from_endorsements).max(0.0),
        params,
        counted,
        discounted,
    }))
}

/// Raw score and 0–100 score of each endorser in the run, and what each gave in all.
type Endorsers = (HashMap<i32, (f64, f64)>, HashMap<i32, f64>);

/// Each endorser's merit in the run and the total their endorsements are shares of.
fn endorsers_in_run(
    conn: &mut DbConn,
    run: &Run,
    params: &Params,
    topic: i32,
    endorsers: &[i32],
) -> Result<Endorsers> {
    let at = from_db(run.computed_at);
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
        for g in storage::reputation::given(conn, chunk, topic, at)? {
            // Shares are of the full weight given: a held endorsement still takes its place.
            *gave.entry(g.endorser).or_default() += params.decay(g.created_at.utc(), at);
        }
    }
    Ok((merit, gave))
}
