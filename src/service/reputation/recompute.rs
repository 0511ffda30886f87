//! A recompute: read the graph on one snapshot, rank every topic (in parallel), then write each
//! topic's scores as a new run beside the current one and switch to it in one short transaction.
//! Readers keep reading the old run until the switch; writes wait at most one short chunk.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::db::{side_tx, snapshot_tx, DbConn};
use crate::domain::endorsement::Status;
use crate::domain::reputation::{rank, standings, Edge, Params, TopicGraph};
use crate::domain::time::to_db;
use crate::service::{Error, Result};
use crate::storage::reputation::{self as store, Score};

/// Endorsements read per query when the whole graph is read.
const PAGE: i64 = 250_000;
/// Score rows written (or deleted) per transaction. On SQLite each such transaction holds the one
/// write lock, so endorsement writes queue behind it: 2,000 rows is a few milliseconds, where
/// 20,000 put tens of milliseconds on the write path's p99 under steady load.
const ROWS_PER_TX: usize = 2_000;
/// A run neither current nor kept, older than this, was left by a recompute that died.
const ABANDONED_AFTER: Duration = Duration::hours(1);

/// Which topics to recompute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Topics(Vec<i32>),
}

/// What a recompute did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Topics recomputed.
    pub topics: usize,
    /// (user, topic) scores written.
    pub scores: usize,
    /// Endorsements that counted (in full or at a discount).
    pub endorsements: usize,
    /// Most iterations any topic needed.
    pub max_iterations: u32,
    /// Topics that hit the iteration cap before converging.
    pub unconverged: usize,
    pub load_seconds: f64,
    pub compute_seconds: f64,
    pub store_seconds: f64,
    pub seconds: f64,
}

/// What one topic's recompute starts from.
#[derive(Debug, Default)]
struct TopicInput {
    edges: Vec<Edge>,
    seeds: Vec<i32>,
    voided: Vec<(i32, i64)>,
}

/// What one topic's recompute produced, ready to store.
struct TopicOutput {
    topic: i32,
    rows: Vec<Score>,
    endorsements: usize,
    iterations: u32,
    converged: bool,
}

/// Recomputes `scope` as of `now`.
pub fn recompute(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Report> {
    params.check().map_err(Error::Internal)?;
    let started = Instant::now();
    let (inputs, max_user) = snapshot_tx(conn, |conn| load(conn, scope, params, now))?;
    let load_seconds = started.elapsed().as_secs_f64();

    let computing = Instant::now();
    let mut outputs: Vec<TopicOutput> = inputs
        .into_par_iter()
        .map(|(topic, input)| compute(topic, input, params, max_user))
        .collect();
    outputs.sort_by_key(|o| o.topic);
    let compute_seconds = computing.elapsed().as_secs_f64();

    let storing = Instant::now();
    let params_json = serde_json::to_string(params).map_err(|e| Error::Internal(e.to_string()))?;
    remove_stale(conn, now - ABANDONED_AFTER)?;
    let mut report = Report::default();
    for out in &outputs {
        store(conn, out, now, &params_json)?;
        report.topics += 1;
        report.scores += out.rows.len();
        report.endorsements += out.endorsements;
        report.max_iterations = report.max_iterations.max(out.iterations);
        report.unconverged += usize::from(!out.converged);
    }
    report.load_seconds = load_seconds;
    report.compute_seconds = compute_seconds;
    report.store_seconds = storing.elapsed().as_secs_f64();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Reads every input on one snapshot.
fn load(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<(Vec<(i32, TopicInput)>, i32)> {
    let max_user = store::max_user_id(conn)?;
    let topics = match scope {
        Scope::All => store::topic_ids(conn)?,
        Scope::Topics(t) => t.clone(),
    };
    let mut inputs: HashMap<i32, TopicInput> =
        topics.iter().map(|t| (*t, TopicInput::default())).collect();
    let mut add = |rows: Vec<store::GraphRow>| {
        for (_, topic, endorser, endorsee, held, created_at) in rows {
            if let Some(input) = inputs.get_mut(&topic) {
                let status = if held {
                    Status::Flagged
                } else {
                    Status::Active
                };
                let decay = params.decay(created_at.utc(), now);
                input.edges.push(Edge {
                    endorser,
                    endorsee,
                    weight: (params.status_weight(status) * decay) as f32,
                    full: decay as f32,
                    held,
                });
            }
        }
    };
    match scope {
        Scope::All => {
            let mut after = 0;
            loop {
                let rows = store::graph_page(conn, after, PAGE)?;
                let Some(last) = rows.last() else { break };
                after = last.0;
                let full = rows.len() as i64 == PAGE;
                add(rows);
                if !full {
                    break;
                }
            }
        }
        Scope::Topics(topics) => {
            for t in topics {
                add(store::graph_of_topic(conn, *t)?);
            }
        }
    }
    let one = match scope {
        Scope::Topics(t) if t.len() == 1 => Some(t[0]),
        _ => None,
    };
    for (topic, user) in store::seeds(conn, one)? {
        if let Some(input) = inputs.get_mut(&topic) {
            input.seeds.push(user);
        }
    }
    for (topic, user, n) in store::voided_counts(conn, one)? {
        if let Some(input) = inputs.get_mut(&topic) {
            input.voided.push((user, n));
        }
    }
    Ok((inputs.into_iter().collect(), max_user))
}

fn compute(topic: i32, input: TopicInput, params: &Params, max_user: i32) -> TopicOutput {
    let voided: Vec<i32> = input.voided.iter().map(|(user, _)| *user).collect();
    let graph = TopicGraph::build(&input.edges, &input.seeds, &voided, max_user);
    drop(input.edges);
    let ranked = rank(&graph, params);
    let standing = standings(&ranked.raw);
    let mut discounted: Vec<i64> = graph.discounted.iter().map(|d| i64::from(*d)).collect();
    if !input.voided.is_empty() {
        let index: HashMap<i32, usize> = graph
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (*u, i))
            .collect();
        for (user, n) in input.voided {
            if let Some(i) = index.get(&user) {
                discounted[*i] += n;
            }
        }
    }
    let rows = graph
        .users
        .iter()
        .enumerate()
        .map(|(i, user)| Score {
            run_id: 0,
            user_id: *user,
            raw: ranked.raw[i],
            score: standing[i].score,
            rank: standing[i].rank as i32,
            percentile: standing[i].percentile,
            counted: graph.counted[i] as i32,
            discounted: discounted[i] as i32,
        })
        .collect();
    TopicOutput {
        topic,
        rows,
        endorsements: graph.edges(),
        iterations: ranked.iterations,
        converged: ranked.converged,
    }
}

/// Writes one topic's run in chunks, switches the topic to it, and drops the run it replaced
/// unless that run is kept as the day's snapshot.
fn store(conn: &mut DbConn, out: &TopicOutput, now: DateTime<Utc>, params: &str) -> Result<()> {
    let at = to_db(now);
    let run_id = side_tx(conn, |conn| {
        store::insert_run(
            conn,
            out.topic,
            at,
            out.rows.len() as i32,
            out.endorsements as i64,
            out.iterations as i32,
            params,
        )
    })?;
    let mut rows = out.rows.clone();
    rows.iter_mut().for_each(|r| r.run_id = run_id);
    for chunk in rows.chunks(ROWS_PER_TX) {
        side_tx(conn, |conn| store::insert_scores(conn, chunk))?;
    }
    let run = store::Run {
        id: run_id,
        topic_id: out.topic,
        computed_at: at,
        users: out.rows.len() as i32,
        endorsements: out.endorsements as i64,
        iterations: out.iterations as i32,
        params: params.to_string(),
        is_current: false,
        is_snapshot: false,
    };
    let replaced = side_tx(conn, |conn| store::make_current(conn, &run))?;
    if let Some(old) = replaced.filter(|r| !r.is_snapshot) {
        delete_run(conn, old.id)?;
    }
    Ok(())
}

fn remove_stale(conn: &mut DbConn, before: DateTime<Utc>) -> Result<()> {
    for run in store::stale_runs(conn, to_db(before))? {
        delete_run(conn, run)?;
    }
    Ok(())
}

fn delete_run(conn: &mut DbConn, run: i32) -> Result<()> {
    while side_tx(conn, |conn| {
        store::delete_scores(conn, run, ROWS_PER_TX as i64)
    })? > 0
    {}
    side_tx(conn, |conn| store::delete_run(conn, run))?;
    Ok(())
}
