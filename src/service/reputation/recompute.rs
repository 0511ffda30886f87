//! A recompute: read the graph on one snapshot, rank every topic (in parallel), then write each
//! topic's scores as a new run beside the current one and switch to it in one short transaction.
//! Readers keep reading the old run until the switch; writes wait at most one short chunk.

// foldhash: the load hashes two ids per endorsement read, where SipHash showed in the profile.
use foldhash::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::cache::{GraphCache, Prior};
use super::compute::{compute, Parts, TopicOutput};
use super::load::{load, Loaded};
use crate::db::{side_tx, snapshot_tx, DbConn};
use crate::domain::reputation::Params;
use crate::domain::time::to_db;
use crate::service::{Error, Result};
use crate::storage::reputation::{self as store, Part};

/// Users' scores written (or deleted) per transaction. On SQLite each such transaction holds the
/// one write lock, so endorsement writes queue behind it. Scores go in parts of 128 in JSON, so
/// this many are a few megabytes of text: a few milliseconds (with one row per user, 20,000 had
/// put tens of milliseconds on the write path's p99 under steady load).
pub(super) const USERS_PER_TX: usize = 16_384;
/// Parts per transaction when a large topic is written or deleted in pieces: each user is in
/// two parts (user order and rank order).
const PARTS_PER_TX: usize = 2 * USERS_PER_TX / store::PART;
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
    /// Write transactions the scores took. Each is short (at most `USERS_PER_TX` users), and on
    /// SQLite a waiting endorsement write goes first between two of them.
    pub write_transactions: usize,
    /// How long the longest of them held the write lock, in milliseconds.
    pub longest_write_ms: f64,
    /// Reading the graph.
    pub load_seconds: f64,
    /// Ranking every topic and encoding its scores, on all cores.
    pub compute_seconds: f64,
    /// Writing scores and switching runs (on PostgreSQL, which writes through two connections,
    /// the busier one's). Each topic is written as soon as it is computed, so this overlaps
    /// `compute_seconds`, and the three add up to more than `seconds`.
    pub store_seconds: f64,
    pub seconds: f64,
    /// When the last topic switched to its new run: from then on every topic reads current.
    /// What follows is deleting the runs they replaced.
    pub current_seconds: f64,
    /// Topics asked for that another instance was recomputing (claimed in the database): left
    /// to it.
    pub held_elsewhere: usize,
    /// Topics rebuilt from the endorsements the server keeps in memory, reading only those that
    /// changed, rather than read whole.
    pub from_memory: usize,
    /// A scheduled pass only: topics some instance had just computed, so left out, read into
    /// the server's memory (not computed) because it did not hold them yet. Not in `seconds`.
    pub adopted: usize,
}

/// Topics claimed (or let go) per transaction.
const CLAIMS_PER_TX: usize = 500;
/// How long a claim on a topic lasts if its instance dies before letting it go.
const CLAIM_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// How long a topic just recomputed stays claimed, so that an instance starting the same work a
/// moment later leaves it.
const FRESH: std::time::Duration = std::time::Duration::from_secs(2);

/// What a recompute may use besides its connection.
#[derive(Default)]
pub struct Aids<'a> {
    /// Large topics kept in memory between recomputes (the worker's).
    pub cache: Option<&'a mut GraphCache>,
    /// A second connection to the same database. On PostgreSQL the scores are stored through
    /// both at once; on SQLite, which writes through one lock, it is not used.
    pub spare: Option<&'a mut DbConn>,
}

/// Recomputes `scope` as of `now`: the topics of it that no other instance is recomputing.
pub fn recompute(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
    spare: Option<&mut DbConn>,
) -> Result<Report> {
    let aids = Aids { cache: None, spare };
    recompute_shared(conn, scope, params, now, None, instance(), aids).map(|(report, _)| report)
}

/// [`recompute`] as the claimer `me` (one name per worker), for work shared with other
/// instances: topics are claimed in the database first, and those another claimer holds are
/// returned (to try again later). With `fresh_since`, topics whose current run is newer are left
/// out: another instance's scheduled pass has just done them. Topics the cache keeps are rebuilt
/// from it (see [`load`]), and large topics are kept there once computed.
pub fn recompute_shared(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
    fresh_since: Option<DateTime<Utc>>,
    me: &str,
    aids: Aids<'_>,
) -> Result<(Report, Vec<i32>)> {
    let Aids { mut cache, spare } = aids;
    params.check().map_err(Error::Internal)?;
    let mut wanted = match scope {
        Scope::All => store::topic_ids(conn)?,
        Scope::Topics(t) => t.clone(),
    };
    let mut fresh = Vec::new();
    if let Some(since) = fresh_since {
        fresh = store::claims::computed_since(conn, to_db(since))?;
        fresh.sort_unstable();
        wanted.retain(|t| fresh.binary_search(t).is_err());
    }
    let clock = |d: std::time::Duration| {
        crate::domain::time::now().timestamp_micros() + d.as_micros() as i64
    };
    // A chunk of claims per transaction: on SQLite each holds the one write lock, and writes
    // must not wait behind thousands of claims (see USERS_PER_TX).
    let mut claimed = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(CLAIMS_PER_TX) {
        let (now_us, until_us) = (clock(Default::default()), clock(CLAIM_TTL));
        claimed.extend(side_tx(conn, |c| {
            store::claims::claim(c, chunk, me, now_us, until_us)
        })?);
    }
    claimed.sort_unstable();
    let held: Vec<i32> = wanted
        .iter()
        .copied()
        .filter(|t| claimed.binary_search(t).is_err())
        .collect();
    let whole = fresh_since.is_none() && *scope == Scope::All && held.is_empty();
    let mine = if whole {
        Scope::All
    } else {
        Scope::Topics(claimed.clone())
    };
    let outcome = recompute_claimed(conn, &mine, params, now, cache.as_deref_mut(), spare);
    // Let them go, done or not (a topic that failed is free to try again at once).
    let hold = if outcome.is_ok() {
        FRESH
    } else {
        Default::default()
    };
    for chunk in claimed.chunks(CLAIMS_PER_TX) {
        side_tx(conn, |c| {
            store::claims::hold_until(c, chunk, me, clock(hold))
        })?;
    }
    let mut report = outcome?;
    report.held_elsewhere = held.len();
    if let Some(cache) = cache.filter(|_| !fresh.is_empty()) {
        // The scores are stored whatever happens here: a read that fails only leaves those
        // topics to be read whole by their next recompute.
        match super::load::adopt(conn, cache, &fresh) {
            Ok(n) => report.adopted = n,
            Err(e) => {
                tracing::warn!(error = %e, "reading recently computed topics into memory failed")
            }
        }
    }
    Ok((report, held))
}

/// This process's name in claims: host, process id and start time.
pub fn instance() -> &'static str {
    static NAME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        let host: String = host
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .collect();
        format!(
            "{}-{}-{}",
            if host.is_empty() { "plusk" } else { &host },
            std::process::id(),
            crate::domain::time::now().timestamp_micros()
        )
    });
    &NAME
}

/// Recomputes `scope`, whose topics this instance has claimed.
fn recompute_claimed(
    conn: &mut DbConn,
    scope: &Scope,
    params: &Params,
    now: DateTime<Utc>,
    mut cache: Option<&mut GraphCache>,
    spare: Option<&mut DbConn>,
) -> Result<Report> {
    let started = Instant::now();
    let Loaded {
        inputs,
        max_user,
        keep,
        from_memory,
    } = snapshot_tx(conn, |conn| {
        load(conn, scope, params, now, cache.as_deref_mut())
    })?;
    let load_seconds = started.elapsed().as_secs_f64();

    // Topics are stored as they are computed, so the two overlap and only the topics computed
    // but not yet stored are held in memory (at 10M endorsements, holding every topic's
    // encoded scores until the end took 2.3 GB).
    let params_json = serde_json::to_string(params).map_err(|e| Error::Internal(e.to_string()))?;
    let mut holds = Holds::default();
    remove_stale(conn, &mut holds, now - ABANDONED_AFTER)?;
    let mut report = Report::default();
    let (send, computed) = std::sync::mpsc::sync_channel::<TopicOutput>(QUEUED);
    let (stored, compute_seconds) = std::thread::scope(|s| {
        let alone = inputs.len() == 1;
        let computing = s.spawn(move || {
            let started = Instant::now();
            inputs
                .into_par_iter()
                .for_each_with(send, |send, (topic, input)| {
                    // A store that failed has hung up; what is left is not wanted.
                    let _ = send.send(compute(topic, input, params, max_user, now, alone));
                });
            started.elapsed().as_secs_f64()
        });
        let mut conns = vec![&mut *conn];
        conns.extend(spare.filter(|c| matches!(c, DbConn::Pg(_))));
        let stored = store_stream(conns, computed, now, &params_json);
        (stored, computing.join())
    });
    // A topic whose computation panicked was never stored: the recompute did not finish.
    let compute_seconds =
        compute_seconds.map_err(|_| Error::Internal("computing the scores failed".into()))?;
    let mut kept = HashMap::default();
    let mut store_seconds = 0.0_f64;
    for done in stored? {
        holds.count += done.holds.count;
        holds.longest = holds.longest.max(done.holds.longest);
        holds.switched = holds.switched.max(done.holds.switched);
        store_seconds = store_seconds.max(done.writing.as_secs_f64());
        kept.extend(done.kept);
        let t = done.tally;
        report.topics += t.topics;
        report.scores += t.scores;
        report.endorsements += t.endorsements;
        report.max_iterations = report.max_iterations.max(t.max_iterations);
        report.unconverged += t.unconverged;
    }
    // Only now, stored: a topic whose store failed is read whole next time.
    if let Some(cache) = cache {
        for (topic, rows) in keep {
            if let Some(prior) = kept.remove(&topic) {
                cache.put(topic, rows, prior);
            }
        }
    }
    report.store_seconds = store_seconds;
    report.from_memory = from_memory;
    report.write_transactions = holds.count;
    report.longest_write_ms = holds.longest.as_secs_f64() * 1e3;
    report.load_seconds = load_seconds;
    report.compute_seconds = compute_seconds;
    report.seconds = started.elapsed().as_secs_f64();
    report.current_seconds = holds
        .switched
        .map_or(report.seconds, |t| (t - started).as_secs_f64());
    Ok(report)
}

/// Topics computed and waiting for the store, at most (each holds its encoded scores).
const QUEUED: usize = 4;

/// The write transactions the store took: how many, and the longest.
#[derive(Debug, Default)]
struct Holds {
    count: usize,
    longest: std::time::Duration,
    /// When a topic last switched to its new run.
    switched: Option<Instant>,
}

impl Holds {
    /// [`side_tx`], counted and timed from the moment it holds the lock to its commit.
    fn tx<T>(&mut self, conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
        let mut began = None;
        let out = side_tx(conn, |conn| {
            began = Some(Instant::now());
            f(conn)
        });
        self.count += 1;
        if let Some(began) = began {
            self.longest = self.longest.max(began.elapsed());
        }
        out
    }
}

/// A topic's weight in a group: its users, plus what its handful of statements cost, so a group
/// of one-user topics is not thousands of statements long.
fn weight(out: &TopicOutput) -> usize {
    out.users + 200
}

/// What one store connection did with the topics it took.
#[derive(Default)]
struct Stored {
    holds: Holds,
    /// Seconds spent writing.
    writing: std::time::Duration,
    /// Where the next recompute of each topic kept in memory starts.
    kept: HashMap<i32, Prior>,
    /// The counts of the report for those topics.
    tally: Report,
}

/// Writes each topic's run as it comes from the computation and switches the topic to it, on
/// each of `conns` at once (on PostgreSQL a second connection is a second server process
/// writing: one process alone kept a core busy while a third of the machine sat idle). Small
/// topics go together, as many as fit in `USERS_PER_TX` users' scores, each group in one
/// transaction (its runs inserted, filled and made current at once), so 50,000 topics of a few
/// users take some hundred short write transactions, not a quarter of a million. A topic
/// larger than that is written in chunks and switched on its own. Replaced runs are deleted
/// afterwards, in groups of the same size. Topics are disjoint between connections, so their
/// transactions touch different rows.
fn store_stream(
    conns: Vec<&mut DbConn>,
    computed: std::sync::mpsc::Receiver<TopicOutput>,
    now: DateTime<Utc>,
    params: &str,
) -> Result<Vec<Stored>> {
    // One receiver shared: whichever connection is free takes the next topic computed.
    let computed = std::sync::Mutex::new(computed);
    let next = || computed.lock().ok().and_then(|rx| rx.recv().ok());
    std::thread::scope(|s| {
        let storing: Vec<_> = conns
            .into_iter()
            .map(|conn| s.spawn(|| store_from(conn, &next, now, params)))
            .collect();
        storing
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| Error::Internal("storing the scores failed".into()))?
            })
            .collect()
    })
}

/// One connection's part of [`store_stream`]: topics from `next` until there are none.
fn store_from(
    conn: &mut DbConn,
    next: &dyn Fn() -> Option<TopicOutput>,
    now: DateTime<Utc>,
    params: &str,
) -> Result<Stored> {
    let mut done = Stored::default();
    let mut store = |done: &mut Stored, group: &[TopicOutput]| {
        let began = Instant::now();
        let out = store_group(conn, &mut done.holds, group, now, params);
        done.writing += began.elapsed();
        out
    };
    let (mut pending, mut weighs) = (Vec::new(), 0);
    while let Some(mut out) = next() {
        if let Some(kept) = out.kept.take() {
            done.kept.insert(out.topic, kept);
        }
        let tally = &mut done.tally;
        tally.topics += 1;
        tally.scores += out.users;
        tally.endorsements += out.endorsements;
        tally.max_iterations = tally.max_iterations.max(out.iterations);
        tally.unconverged += usize::from(!out.converged);
        if out.users > USERS_PER_TX {
            store(&mut done, std::slice::from_ref(&out))?;
            continue;
        }
        if !pending.is_empty() && weighs + weight(&out) > USERS_PER_TX {
            store(&mut done, &pending)?;
            (pending, weighs) = (Vec::new(), 0);
        }
        weighs += weight(&out);
        pending.push(out);
    }
    if !pending.is_empty() {
        store(&mut done, &pending)?;
    }
    Ok(done)
}

/// Writes a group of topics (or one large topic), then deletes the runs they replaced.
fn store_group(
    conn: &mut DbConn,
    holds: &mut Holds,
    group: &[TopicOutput],
    now: DateTime<Utc>,
    params: &str,
) -> Result<()> {
    let replaced = match group {
        [one] if one.users > USERS_PER_TX => store_large(conn, holds, one, now, params)?,
        _ => store_small(conn, holds, group, now, params)?,
    };
    holds.switched = Some(Instant::now());
    let old: Vec<store::Run> = replaced.into_iter().filter(|r| !r.is_snapshot).collect();
    delete_runs(conn, holds, &old)
}

/// Consecutive items whose sizes add up to at most `USERS_PER_TX`; an item larger than that
/// stands alone.
fn groups<T>(items: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && rows + n > USERS_PER_TX {
            out.push(&items[start..i]);
            (start, rows) = (i, 0);
        }
        rows += n;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

fn new_runs<'a>(
    group: &[TopicOutput],
    at: chrono::NaiveDateTime,
    params: &'a str,
) -> Vec<store::NewRun<'a>> {
    group
        .iter()
        .map(|out| store::NewRun {
            topic_id: out.topic,
            computed_at: at,
            users: out.users as i32,
            endorsements: out.endorsements as i64,
            iterations: out.iterations as i32,
            params,
        })
        .collect()
}

/// Writes a group of small topics and switches each to its new run, in one transaction.
fn store_small(
    conn: &mut DbConn,
    holds: &mut Holds,
    group: &[TopicOutput],
    now: DateTime<Utc>,
    params: &str,
) -> Result<Vec<store::Run>> {
    let at = to_db(now);
    // Encoded before the transaction: not while holding the write lock.
    let encoded: Vec<_> = group.iter().map(|out| out.parts.encoded()).collect();
    holds.tx(conn, |conn| {
        let new = new_runs(group, at, params);
        let ids = store::insert_runs(conn, &new)?;
        let runs: Vec<store::Run> = new.iter().zip(ids).map(|(r, id)| r.stored(id)).collect();
        let parts: Vec<(i32, &[Part])> = runs
            .iter()
            .zip(&encoded)
            .map(|(run, parts)| (run.id, parts.as_ref()))
            .collect();
        store::insert_parts_of(conn, &parts)?;
        Ok(store::make_current_all(conn, &runs)?)
    })
}

/// Writes one large topic's run in chunks, then switches the topic to it.
fn store_large(
    conn: &mut DbConn,
    holds: &mut Holds,
    out: &TopicOutput,
    now: DateTime<Utc>,
    params: &str,
) -> Result<Vec<store::Run>> {
    let at = to_db(now);
    let new = new_runs(std::slice::from_ref(out), at, params);
    let run_id = holds.tx(conn, |conn| Ok(store::insert_runs(conn, &new)?[0]))?;
    match &out.parts {
        Parts::Encoded(parts) => {
            for chunk in parts.chunks(PARTS_PER_TX) {
                holds.tx(conn, |conn| Ok(store::insert_parts(conn, run_id, chunk)?))?;
            }
        }
        Parts::Sorted(sorted) => write_encoding(conn, holds, run_id, sorted)?,
    }
    let run = new[0].stored(run_id);
    let replaced = holds.tx(conn, |conn| Ok(store::make_current(conn, &run)?))?;
    Ok(replaced.into_iter().collect())
}

/// The threads that encode a large topic's scores as they are written. Not the computation's:
/// its threads may all be waiting for this very store to take the topics they computed, and
/// encoding on them would then wait forever.
static ENCODING: std::sync::LazyLock<std::result::Result<rayon::ThreadPool, String>> =
    std::sync::LazyLock::new(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("plusk-encode-{i}"))
            .build()
            .map_err(|e| e.to_string())
    });

/// Writes `sorted`'s parts into run `run_id` in chunks, each encoded (on another thread) while
/// the one before it is written: at 765,000 users, encoding them all took 100 ms before the
/// first could be written.
fn write_encoding(
    conn: &mut DbConn,
    holds: &mut Holds,
    run_id: i32,
    sorted: &store::Sorted,
) -> Result<()> {
    let pool = ENCODING
        .as_ref()
        .map_err(|e| Error::Internal(format!("no threads to encode scores on: {e}")))?;
    let (send, encoded) = std::sync::mpsc::sync_channel::<Vec<Part>>(1);
    let written = std::thread::scope(|s| -> Result<usize> {
        s.spawn(move || {
            for start in (0..sorted.len()).step_by(PARTS_PER_TX) {
                let range = start..(start + PARTS_PER_TX).min(sorted.len());
                let chunk = pool.install(|| sorted.encode(range));
                // The writer hangs up at its first error: nothing more is wanted.
                if send.send(chunk).is_err() {
                    break;
                }
            }
        });
        let mut written = 0;
        for chunk in encoded {
            holds.tx(conn, |conn| Ok(store::insert_parts(conn, run_id, &chunk)?))?;
            written += chunk.len();
        }
        Ok(written)
    })?;
    // Never switch to a run with parts missing.
    if written != sorted.len() {
        return Err(Error::Internal("encoding the scores failed".into()));
    }
    Ok(())
}

/// Deletes the daily snapshots computed before `before` (never a topic's current run), with
/// their scores; returns how many went. History then starts at `before`.
pub fn prune_snapshots(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize> {
    let ids = store::expired_snapshots(conn, to_db(before))?;
    let expired = store::runs(conn, &ids)?;
    delete_runs(conn, &mut Holds::default(), &expired)?;
    Ok(expired.len())
}

fn remove_stale(conn: &mut DbConn, holds: &mut Holds, before: DateTime<Utc>) -> Result<()> {
    let ids = store::stale_runs(conn, to_db(before))?;
    let stale = store::runs(conn, &ids)?;
    delete_runs(conn, holds, &stale)
}

/// Deletes runs and their scores, small runs together (as [`store_small`] writes them), a large
/// one in chunks.
fn delete_runs(conn: &mut DbConn, holds: &mut Holds, runs: &[store::Run]) -> Result<()> {
    for group in groups(runs, |r| r.users.max(0) as usize + 1) {
        let ids: Vec<i32> = group.iter().map(|r| r.id).collect();
        if let [one] = group {
            if one.users as usize > USERS_PER_TX {
                while holds.tx(conn, |conn| {
                    Ok(store::delete_parts(conn, one.id, PARTS_PER_TX as i64)?)
                })? > 0
                {}
            }
        }
        holds.tx(conn, |conn| Ok(store::delete_runs(conn, &ids)?))?;
    }
    Ok(())
}
