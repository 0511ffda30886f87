//! One topic's scores from its input: its graph built (or, kept in memory, patched), ranked
//! from where it last stood, and encoded for storage.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use foldhash::HashMap;

use super::cache::{Built, Prior};
use super::load::{Patch, TopicInput};
use super::recompute::USERS_PER_TX;
use crate::domain::reputation::{rank_from, standings, Params, TopicGraph};
use crate::storage::reputation::{self as store, Part, Score, Sorted};

/// What one topic's recompute produced, ready to store.
pub(super) struct TopicOutput {
    pub topic: i32,
    /// Users scored.
    pub users: usize,
    /// Their scores, ready for storage (in the parallel part of the work).
    pub parts: Parts,
    pub endorsements: usize,
    pub iterations: u32,
    pub converged: bool,
    /// Where the next recompute starts, for a topic kept in memory.
    pub kept: Option<Prior>,
}

/// A topic's scores as parts to store.
pub(super) enum Parts {
    Encoded(Vec<Part>),
    /// A large topic's, sorted: its store encodes the next parts while it writes these, rather
    /// than only start once all are encoded.
    Sorted(Sorted),
}

impl Parts {
    /// All of them, encoded.
    pub fn encoded(&self) -> Cow<'_, [Part]> {
        match self {
            Parts::Encoded(parts) => Cow::Borrowed(parts),
            Parts::Sorted(sorted) => Cow::Owned(sorted.encode(0..sorted.len())),
        }
    }
}

/// A topic's graph, ready to rank.
struct Ready {
    graph: TopicGraph,
    /// Where the iteration starts: last time's scores, where there are any (the same fixed
    /// point in fewer steps).
    start: Option<Vec<f64>>,
    /// What each user gave in all, by the graph's numbering, decayed to `at`.
    out: Vec<f64>,
    /// Voided endorsements per endorsee.
    voided: HashMap<i32, i64>,
    /// When the graph's weights are decayed to.
    at: DateTime<Utc>,
}

/// Computes `topic`'s scores as of `now`. `alone`: no other topic is computed with it, so
/// nothing else would be computed while it is stored, and a large one leaves its encoding to
/// the store, to do while it writes (with other topics, computing them overlaps the store).
pub(super) fn compute(
    topic: i32,
    input: TopicInput,
    params: &Params,
    max_user: i32,
    now: DateTime<Utc>,
    alone: bool,
) -> TopicOutput {
    let keep = input.keep;
    let Ready {
        graph,
        start,
        out,
        voided,
        at,
    } = ready(input, max_user, now);
    let ranked = rank_from(&graph, params, start.as_deref());
    let standing = standings(&ranked.raw);
    let mut discounted: Vec<i64> = graph.discounted.iter().map(|d| i64::from(*d)).collect();
    if !voided.is_empty() {
        for (i, user) in graph.users.iter().enumerate() {
            discounted[i] += voided.get(user).copied().unwrap_or(0);
        }
    }
    // Every weight decays by the same factor from `at` to now.
    let decayed = params.decay_to(at, now);
    let rows: Vec<Score> = graph
        .users
        .iter()
        .enumerate()
        .map(|(i, user)| Score {
            user_id: *user,
            raw: ranked.raw[i],
            score: standing[i].score,
            rank: standing[i].rank as i32,
            percentile: standing[i].percentile,
            counted: graph.counted[i] as i32,
            discounted: discounted[i] as i32,
            out_weight: Some(out[i] * decayed),
        })
        .collect();
    let (users, endorsements) = (rows.len(), graph.edges());
    let parts = if alone && users > USERS_PER_TX {
        Parts::Sorted(Sorted::new(rows))
    } else {
        Parts::Encoded(store::parts_of(rows))
    };
    let kept = keep.then(|| {
        Prior::Built(Box::new(Built {
            graph,
            raw: ranked.raw,
            out,
            voided,
            at,
            params: *params,
        }))
    });
    TopicOutput {
        topic,
        users,
        parts,
        endorsements,
        iterations: ranked.iterations,
        converged: ranked.converged,
        kept,
    }
}

/// The graph of `input`: built from its edges as of `now`, or its kept graph patched.
fn ready(input: TopicInput, max_user: i32, now: DateTime<Utc>) -> Ready {
    if let Some(patch) = input.patch {
        return patched(patch, &input.seeds, max_user);
    }
    let mut members: Vec<i32> = input.voided.keys().copied().collect();
    // The graph's numbering of users must not depend on a hash map's order.
    members.sort_unstable();
    let graph = TopicGraph::build(&input.edges, &input.seeds, &members, max_user);
    drop(input.edges);
    let start = input.prior.map(|prior| {
        let last = |u: &i32| prior.get(u).copied().unwrap_or(0.0);
        graph.users.iter().map(last).collect()
    });
    let out = graph.users.iter().map(|u| input.out.get(*u)).collect();
    Ready {
        graph,
        start,
        out,
        voided: input.voided,
        at: now,
    }
}

/// A kept graph brought up to date, starting from its last scores.
fn patched(patch: Patch, seeds: &[i32], max_user: i32) -> Ready {
    let Built {
        mut graph,
        raw,
        out,
        voided,
        at,
        ..
    } = *patch.built;
    let mut members: Vec<i32> = voided.keys().copied().collect();
    members.sort_unstable();
    let moved = graph.patch(&patch.removed, &patch.added, seeds, &members, max_user);
    let mut out = moved.carry(&out, 0.0);
    for (user, by) in patch.out {
        if let Some(i) = moved.number(user) {
            out[i] += by;
        }
    }
    Ready {
        graph,
        start: Some(moved.carry(&raw, 0.0)),
        out,
        voided,
        at,
    }
}
