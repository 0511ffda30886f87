//! What a recompute starts from: each topic's endorsements as weighted edges, its seeds and its
//! voided counts, read from the database on one snapshot, or, for a topic the worker keeps in
//! memory, rebuilt from what it keeps and the endorsements that changed since.

// foldhash: the load hashes two ids per endorsement read, where SipHash showed in the profile.
use foldhash::HashMap;

use chrono::{DateTime, Utc};

use super::cache::{self, Built, Change, GraphCache, Prior};
use super::recompute::Scope;
use crate::db::{snapshot_tx, DbConn};
use crate::domain::endorsement::Status;
use crate::domain::reputation::{Edge, Params};
use crate::service::{Error, Result};
use crate::storage::reputation::{self as store, GraphRow};

/// Up to this many topics are read one query each; more, in one pass over the whole graph.
const QUERY_EACH_UP_TO: usize = 64;
/// Rows handed from the reading thread to the adding one at a time.
const ROWS_PER_BATCH: usize = 16_384;

/// What one topic's recompute starts from.
#[derive(Debug, Default)]
pub struct TopicInput {
    pub edges: Vec<Edge>,
    /// Each endorser's decayed total given, in f64 as explain computes it (the graph keeps
    /// f32 weights).
    pub out: OutWeights,
    pub seeds: Vec<i32>,
    /// Voided endorsements per endorsee.
    pub voided: HashMap<i32, i64>,
    /// The scores the topic came to last time, by user: the iteration starts there.
    pub prior: Option<HashMap<i32, f64>>,
    /// The worker keeps this topic in memory: its scores are wanted back.
    pub keep: bool,
    /// A kept topic's graph to patch: then `edges`, `out`, `voided` and `prior` are empty.
    pub patch: Option<Patch>,
}

/// A kept topic's graph and what changed in it since it was computed: the computation patches
/// the graph (see `TopicGraph::patch`) instead of building it.
#[derive(Debug)]
pub struct Patch {
    /// Its voided counts are already up to date.
    pub built: Box<Built>,
    /// Endorsements out of the graph, by endorser and endorsee.
    pub removed: Vec<(i32, i32)>,
    /// Endorsements into it, weighed as of `built.at`.
    pub added: Vec<Edge>,
    /// What endorsers gave in all, changed by (decayed to `built.at`).
    pub out: Vec<(i32, f64)>,
}

/// Each endorser's decayed total given in a topic: in a map, or by user id in a vector for a
/// topic rebuilt from memory. Such a topic is large, and adding up its 1.5M endorsements through
/// a map of its endorsers was a tenth of an incremental recompute's CPU (`perf`), a cache miss or
/// two for each.
#[derive(Debug)]
pub enum OutWeights {
    Map(HashMap<i32, f64>),
    ById(Vec<f64>),
}

impl Default for OutWeights {
    fn default() -> OutWeights {
        OutWeights::Map(HashMap::default())
    }
}

impl OutWeights {
    /// For users numbered up to `max_user`, by id.
    fn by_id(max_user: i32) -> OutWeights {
        OutWeights::ById(vec![0.0; usize::try_from(max_user).unwrap_or(0) + 1])
    }

    fn add(&mut self, user: i32, weight: f64) {
        match self {
            OutWeights::Map(m) => *m.entry(user).or_default() += weight,
            OutWeights::ById(v) => {
                // User ids are positive; one past the vector (a user created since it was
                // sized) makes room.
                let Ok(i) = usize::try_from(user) else {
                    return;
                };
                if i >= v.len() {
                    v.resize(i + 1, 0.0);
                }
                v[i] += weight;
            }
        }
    }

    /// `user`'s total (0 if they gave nothing).
    pub fn get(&self, user: i32) -> f64 {
        match self {
            OutWeights::Map(m) => m.get(&user).copied().unwrap_or(0.0),
            OutWeights::ById(v) => usize::try_from(user)
                .ok()
                .and_then(|i| v.get(i))
                .copied()
                .unwrap_or(0.0),
        }
    }
}

/// Every input of a recompute.
pub struct Loaded {
    pub inputs: Vec<(i32, TopicInput)>,
    pub max_user: i32,
    /// Topics to keep in memory once stored, with their endorsements by id.
    pub keep: Vec<(i32, Vec<GraphRow>)>,
    /// Topics rebuilt from memory rather than read.
    pub from_memory: usize,
}

/// Reads every input of `scope` (on the caller's snapshot). Topics `cache` keeps are rebuilt
/// from it, but in a full pass, which reads them again from the database so that the memory
/// never drifts from the tables for longer than one period, and keeps the largest topics.
pub fn load(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
    mut cache: Option<&mut GraphCache>,
) -> Result<Loaded> {
    let max_user = store::max_user_id(conn)?;
    let topics = match scope {
        Scope::All => store::topic_ids(conn)?,
        Scope::Topics(t) => t.clone(),
    };
    let mut inputs: HashMap<i32, TopicInput> =
        topics.iter().map(|t| (*t, TopicInput::default())).collect();
    let (mut memory, mut keep, mut capture) = (Vec::new(), Vec::new(), HashMap::default());
    match (scope, cache.as_deref_mut()) {
        (Scope::All, Some(cache)) => keep_largest(conn, cache, &mut inputs, &mut capture)?,
        (Scope::Topics(_), Some(cache)) => {
            for t in &topics {
                let Some(mut kept) = cache.take(*t) else {
                    continue;
                };
                let mut input = inputs
                    .remove(t)
                    .expect("every topic of the scope has an input");
                input.keep = true;
                let prior = std::mem::take(&mut kept.prior);
                let (rows, changes) = caught_up(conn, kept)?;
                match prior {
                    Prior::Built(built) if patches(&built, params, now) => {
                        input.patch = Some(patch_of(built, &changes, params));
                    }
                    prior => {
                        input.prior = Some(prior.by_user());
                        input.out = OutWeights::by_id(max_user);
                        input.edges.reserve(rows.len());
                        for row in &rows {
                            add_to(&mut input, row, params, now);
                        }
                    }
                }
                memory.push((*t, input));
                keep.push((*t, rows));
            }
        }
        (_, None) => {}
    }
    let from_memory = memory.len();
    let rest = match scope {
        Scope::All => Scope::All,
        Scope::Topics(_) => {
            let mut rest: Vec<i32> = inputs.keys().copied().collect();
            rest.sort_unstable();
            if let Some(cache) = cache.as_deref() {
                if rest.len() <= QUERY_EACH_UP_TO {
                    // Each read alone: any of them may be large enough to keep.
                    capture.extend(rest.iter().map(|t| (*t, Vec::new())));
                } else {
                    // One pass over the whole graph: only those whose last run says they fit
                    // are copied aside, or the copy could be the whole graph.
                    let fit = largest_fitting(conn, cache, cache.budget(), |t| {
                        rest.binary_search(&t).is_ok()
                    })?;
                    capture.extend(
                        fit.into_iter()
                            .map(|(t, size)| (t, Vec::with_capacity(size))),
                    );
                }
            }
            Scope::Topics(rest)
        }
    };
    if rest != Scope::Topics(Vec::new()) {
        read_into(conn, &rest, params, now, &mut inputs, &mut capture)?;
    }
    if let Some(cache) = cache {
        for (t, mut rows) in capture {
            if cache.wants(rows.len()) {
                rows.sort_unstable_by_key(|r| r.id);
                inputs.get_mut(&t).expect("captured topics are read").keep = true;
                keep.push((t, rows));
            }
        }
    }
    let mut inputs: Vec<(i32, TopicInput)> = inputs.into_iter().chain(memory).collect();
    let one = match scope {
        Scope::Topics(t) if t.len() == 1 => Some(t[0]),
        _ => None,
    };
    let mut seeds: HashMap<i32, Vec<i32>> = HashMap::default();
    for (topic, user) in store::seeds(conn, one)? {
        seeds.entry(topic).or_default().push(user);
    }
    for (topic, input) in &mut inputs {
        input.seeds = seeds.remove(topic).unwrap_or_default();
    }
    Ok(Loaded {
        inputs,
        max_user,
        keep,
        from_memory,
    })
}

/// Before a full pass: the largest topics (by their current run) that fit in `cache` are to be
/// kept from what the pass reads, starting from the scores the cache had for them; the rest of
/// the cache goes, as the pass reads everything again anyway. So after the server's first full
/// pass, large topics are already in memory.
fn keep_largest(
    conn: &mut DbConn,
    cache: &mut GraphCache,
    inputs: &mut HashMap<i32, TopicInput>,
    capture: &mut HashMap<i32, Vec<GraphRow>>,
) -> Result<()> {
    let fit = largest_fitting(conn, cache, cache.budget(), |t| inputs.contains_key(&t))?;
    for (topic, size) in fit {
        let input = inputs.get_mut(&topic).expect("only topics with inputs fit");
        input.keep = true;
        input.prior = cache.take(topic).map(|kept| kept.prior.by_user());
        capture.insert(topic, Vec::with_capacity(size));
    }
    cache.clear();
    Ok(())
}

/// The topics `among` that `cache` would keep, with their sizes in their current runs: the
/// largest first, as many as fit in `room` endorsements.
fn largest_fitting(
    conn: &mut DbConn,
    cache: &GraphCache,
    mut room: usize,
    among: impl Fn(i32) -> bool,
) -> Result<Vec<(i32, usize)>> {
    let mut fit = Vec::new();
    for (topic, size) in store::current_sizes(conn)? {
        let size = usize::try_from(size).unwrap_or(0);
        // The cheap tests first: a pass can leave out tens of thousands of small topics.
        if cache.wants(size) && size <= room && among(topic) {
            room -= size;
            fit.push((topic, size));
        }
    }
    Ok(fit)
}

/// A scheduled pass leaves out the topics some instance computed in the last half period. Those
/// of `topics` that `cache` would keep but does not hold (this server has just started, or
/// another instance computes them) are read into it here, each on a snapshot of its own, with
/// its current run's scores as where the next iteration starts; they are not computed. So their
/// next recompute starts from memory. Topics fill only the room the cache has free. `topics` is
/// sorted. Returns how many were read.
pub fn adopt(conn: &mut DbConn, cache: &mut GraphCache, topics: &[i32]) -> Result<usize> {
    let room = cache.budget().saturating_sub(cache.held());
    let fit = largest_fitting(conn, cache, room, |t| {
        topics.binary_search(&t).is_ok() && !cache.holds(t)
    })?;
    for (topic, size) in &fit {
        let read = snapshot_tx(conn, |conn| -> Result<_> {
            let Some(run) = store::current_run(conn, *topic)? else {
                return Ok(None);
            };
            let mut rows = Vec::with_capacity(*size);
            store::read_graph(conn, Some(*topic), &mut |row| rows.push(row))?;
            let prior: HashMap<i32, f64> = store::raw_scores(conn, run.id)?.into_iter().collect();
            Ok(Some((rows, prior)))
        })?;
        if let Some((mut rows, prior)) = read {
            rows.sort_unstable_by_key(|r| r.id);
            cache.put(*topic, rows, Prior::ByUser(prior));
        }
    }
    Ok(fit.len())
}

/// A kept topic's endorsements brought up to date with those that changed since it was kept,
/// and how they changed.
fn caught_up(conn: &mut DbConn, kept: cache::Kept) -> Result<(Vec<GraphRow>, Vec<Change>)> {
    let cache::Kept {
        topic,
        mut changed,
        mut rows,
        ..
    } = kept;
    changed.sort_unstable();
    changed.dedup();
    let changes = cache::apply(&mut rows, topic, store::rows_now(conn, &changed)?);
    Ok((rows, changes))
}

/// Whether `built` can be patched for a recompute with `params` at `now`: its weights were
/// made with the same parameters, at an earlier time, and every endorsement not voided is an
/// edge of the graph (what an endorser gave in all is kept by the graph's numbering).
fn patches(built: &Built, params: &Params, now: DateTime<Utc>) -> bool {
    built.params == *params && params.flagged_weight > 0.0 && built.at <= now
}

/// What `changes` do to `built`: edges out and in, weighed as of its time.
fn patch_of(mut built: Box<Built>, changes: &[Change], params: &Params) -> Patch {
    let at = built.at;
    let (mut removed, mut added, mut out) = (Vec::new(), Vec::new(), Vec::new());
    for (row, sign) in changes
        .iter()
        .flat_map(|c| [(c.old, -1i32), (c.new, 1)])
        .filter_map(|(row, sign)| Some((row?, sign)))
    {
        if row.voided {
            let n = built.voided.entry(row.endorsee).or_default();
            *n += i64::from(sign);
            if *n <= 0 {
                built.voided.remove(&row.endorsee);
            }
            continue;
        }
        let decay = params.decay_to(row.created_at.utc(), at);
        out.push((row.endorser, f64::from(sign) * decay));
        if sign < 0 {
            removed.push((row.endorser, row.endorsee));
        } else {
            added.push(edge(&row, params, decay));
        }
    }
    Patch {
        built,
        removed,
        added,
        out,
    }
}

/// Reads `scope`'s rows into `inputs` (topics not in it are skipped), copying those of the
/// topics in `capture` there as well.
fn read_into(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
    inputs: &mut HashMap<i32, TopicInput>,
    capture: &mut HashMap<i32, Vec<GraphRow>>,
) -> Result<()> {
    // Two threads: this one reads rows out of the database, the other adds them up by topic
    // (decay, out-weights, edges), so the read is not slowed by the arithmetic.
    let (send, rows) = std::sync::mpsc::sync_channel::<Vec<GraphRow>>(4);
    std::thread::scope(|s| {
        let adding = s.spawn(|| {
            for batch in rows {
                for row in &batch {
                    if let Some(input) = inputs.get_mut(&row.topic) {
                        add_to(input, row, params, now);
                    }
                }
            }
        });
        let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
        let mut each = |row: GraphRow| {
            if !capture.is_empty() {
                if let Some(rows) = capture.get_mut(&row.topic) {
                    rows.push(row);
                }
            }
            batch.push(row);
            if batch.len() == ROWS_PER_BATCH {
                // The adder stops only by panicking; then its join below reports it.
                let _ = send.send(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(ROWS_PER_BATCH),
                ));
            }
        };
        let read = read_graph(conn, scope, &mut each);
        let _ = send.send(batch);
        drop(send);
        let added = adding.join();
        read.and_then(|()| added.map_err(|_| Error::Internal("adding up the graph failed".into())))
    })
}

/// One endorsement into its topic's input.
fn add_to(input: &mut TopicInput, row: &GraphRow, params: &Params, now: DateTime<Utc>) {
    if row.voided {
        *input.voided.entry(row.endorsee).or_default() += 1;
        return;
    }
    let decay = params.decay(row.created_at.utc(), now);
    input.out.add(row.endorser, decay);
    input.edges.push(edge(row, params, decay));
}

/// The edge of an endorsement that is not voided, whose weight has decayed by `decay`.
fn edge(row: &GraphRow, params: &Params, decay: f64) -> Edge {
    let status = if row.flagged {
        Status::Flagged
    } else {
        Status::Active
    };
    Edge {
        endorser: row.endorser,
        endorsee: row.endorsee,
        weight: (params.status_weight(status) * decay) as f32,
        full: decay as f32,
        held: row.flagged,
    }
}

/// Hands every row of the graph `scope` needs to `each`.
fn read_graph(conn: &mut DbConn, scope: &Scope, each: &mut dyn FnMut(GraphRow)) -> Result<()> {
    match scope {
        // Many topics: one pass over the whole graph, keeping theirs, beats a query each.
        Scope::Topics(topics) if topics.len() <= QUERY_EACH_UP_TO => {
            for t in topics {
                store::read_graph(conn, Some(*t), each)?;
            }
        }
        _ => store::read_graph(conn, None, each)?,
    }
    Ok(())
}
