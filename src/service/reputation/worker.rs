//! The background recompute: one thread that watches the ledger for topics that changed,
//! recomputes them once writes settle (debounced), recomputes everything on a schedule (decay
//! moves every score as time passes), and runs forced recomputes on request, one at a time.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cache::{self, GraphCache};
use super::recompute::{prune_snapshots, recompute_shared, Aids, Report, Scope};
use crate::db::{DbConn, DbPool};
use crate::domain::ledger::{
    ENDORSEMENT_REVOKED, FLAG_RAISED, FLAG_REVIEWED, SEEDS_SET, TOPIC_MERGED,
};
use crate::domain::reputation::Params;
use crate::domain::time;
use crate::service::{Error, Result};
use crate::storage;

/// How the worker behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub params: Params,
    /// Recompute changed topics once no write has touched them for this long...
    pub debounce: Duration,
    /// ...or once the first change has waited this long, whichever comes first.
    pub max_delay: Duration,
    /// Recompute every topic this often (and once at start).
    pub every: Duration,
    /// Daily snapshots older than this are deleted after each full pass; `None` keeps them all.
    pub keep_snapshots: Option<chrono::Duration>,
    /// Large topics kept in memory between recomputes.
    pub memory: Memory,
}

/// Which topics the worker keeps in memory between recomputes (see [`super::cache`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    /// Endorsements kept in all (0: none).
    pub endorsements: usize,
    /// A topic is kept from this many endorsements up.
    pub min_topic: usize,
}

impl Default for Memory {
    fn default() -> Memory {
        Memory {
            endorsements: cache::DEFAULT_BUDGET,
            min_topic: cache::MIN_ENDORSEMENTS,
        }
    }
}

/// Daily snapshots kept by default: a year and a bit, so a year-on-year comparison still works.
pub const KEEP_SNAPSHOT_DAYS: u32 = 400;

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            params: Params::default(),
            debounce: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
            every: Duration::from_secs(3600),
            keep_snapshots: Some(chrono::Duration::days(KEEP_SNAPSHOT_DAYS.into())),
            memory: Memory::default(),
        }
    }
}

/// How often the worker looks at the ledger head.
const TICK: Duration = Duration::from_millis(500);
/// After a scheduled recompute that took `t`, the next one waits at least `PACING × t`. Under
/// steady writes every topic is always dirty, and a recompute grows with the graph: this keeps
/// the worker to at most a fifth of one core however large the graph gets, so writes and reads
/// keep the rest. Forced recomputes do not wait.
const PACING: u32 = 4;

type Reply = tokio::sync::oneshot::Sender<Result<Report>>;

/// Handle to the worker thread; the thread stops when the handle is dropped.
pub struct Worker {
    requests: Sender<(Scope, Reply)>,
    pub schedule: Schedule,
}

impl Worker {
    /// Starts the worker. Its scheduled recomputes wait until `after` is set (the writer has
    /// loaded its model: on two cores the two would slow each other down at start); forced
    /// recomputes are served at once.
    pub fn start(
        pool: DbPool,
        schedule: Schedule,
        after: Arc<AtomicBool>,
    ) -> std::io::Result<Worker> {
        let (requests, inbox) = channel();
        std::thread::Builder::new()
            .name("plusk-reputation".into())
            .spawn(move || Loop::new(pool, schedule, after).run(&inbox))?;
        Ok(Worker { requests, schedule })
    }

    /// Recomputes `scope` now (after any recompute already running) and answers when done.
    pub async fn force(&self, scope: Scope) -> Result<Report> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.requests
            .send((scope, reply))
            .map_err(|_| Error::Unavailable("the reputation worker has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the reputation worker dropped a request".into()))?
    }
}

struct Loop {
    pool: DbPool,
    schedule: Schedule,
    /// The last ledger entry looked at.
    seen: Option<i64>,
    /// The last endorsement row there was when the worker started (see
    /// `storage::ledger::last_row`).
    rows_seen: i64,
    dirty: BTreeSet<i32>,
    first_change: Option<Instant>,
    last_change: Option<Instant>,
    next_full: Instant,
    /// No scheduled recompute starts before this (see `PACING`).
    rest_until: Instant,
    /// Topic ids by slug: the ledger names topics, and they never change id.
    topic_ids: HashMap<String, i32>,
    /// Scheduled work starts once this is set.
    after: Arc<AtomicBool>,
    /// This worker's name in recompute claims (one per worker: several servers may share a
    /// process in tests).
    name: String,
    /// Large topics' endorsements and scores as last computed.
    cache: GraphCache,
}

impl Loop {
    fn new(pool: DbPool, schedule: Schedule, after: Arc<AtomicBool>) -> Loop {
        Loop {
            pool,
            schedule,
            seen: None,
            rows_seen: 0,
            dirty: BTreeSet::new(),
            first_change: None,
            last_change: None,
            // The first full recompute waits one debounce, so a starting server answers first.
            next_full: Instant::now() + schedule.debounce,
            rest_until: Instant::now(),
            topic_ids: HashMap::new(),
            after,
            cache: GraphCache::new(schedule.memory.endorsements, schedule.memory.min_topic),
            name: {
                static WORKERS: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let n = WORKERS.fetch_add(1, Ordering::Relaxed);
                format!("{}-w{n}", super::recompute::instance())
            },
        }
    }

    fn run(mut self, inbox: &Receiver<(Scope, Reply)>) {
        loop {
            match inbox.recv_timeout(TICK) {
                Ok((scope, reply)) => {
                    let _ = reply.send(self.recompute(&scope));
                }
                Err(RecvTimeoutError::Timeout) => self.tick(),
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn tick(&mut self) {
        if !self.after.load(Ordering::Acquire) {
            // Still starting: the first full recompute counts its wait from the start proper.
            self.next_full = Instant::now() + self.schedule.debounce;
            return;
        }
        if let Err(e) = self.watch() {
            tracing::warn!(error = %e, "reputation worker could not read the ledger");
            return;
        }
        let now = Instant::now();
        if now < self.rest_until {
            return;
        }
        if now >= self.next_full {
            self.next_full = now + self.schedule.every;
            self.dirty.clear();
            self.first_change = None;
            self.log(&Scope::All);
            return;
        }
        let settled = self
            .last_change
            .is_some_and(|t| now - t >= self.schedule.debounce);
        let overdue = self
            .first_change
            .is_some_and(|t| now - t >= self.schedule.max_delay);
        if !self.dirty.is_empty() && (settled || overdue) {
            let scope = Scope::Topics(std::mem::take(&mut self.dirty).into_iter().collect());
            self.first_change = None;
            self.log(&scope);
        }
    }

    /// A scheduled recompute, shared with other instances: topics another instance holds stay
    /// dirty here, and a full pass leaves the topics another's pass did in the last half period.
    fn log(&mut self, scope: &Scope) {
        let started = Instant::now();
        let fresh_since = (*scope == Scope::All).then(|| {
            let half = chrono::Duration::from_std(self.schedule.every / 2).unwrap_or_default();
            time::now() - half
        });
        let outcome = self.pool.get().map_err(Error::from).and_then(|mut conn| {
            let params = &self.schedule.params;
            let mut spare = spare_for(&self.pool, &conn);
            let aids = Aids {
                cache: Some(&mut self.cache),
                spare: spare.as_deref_mut(),
            };
            recompute_shared(
                &mut conn,
                scope,
                params,
                time::now(),
                fresh_since,
                &self.name,
                aids,
            )
        });
        let outcome = outcome.and_then(|done| {
            if *scope == Scope::All {
                self.prune()?;
            }
            Ok(done)
        });
        let outcome = outcome.map(|(report, held)| {
            if !held.is_empty() {
                self.dirty.extend(held);
                self.first_change.get_or_insert(Instant::now());
                self.last_change = Some(Instant::now());
            }
            observe(&report);
            report
        });
        self.rest_until = Instant::now() + started.elapsed() * PACING;
        match outcome {
            Ok(r) => tracing::info!(
                topics = r.topics,
                scores = r.scores,
                endorsements = r.endorsements,
                seconds = r.seconds,
                write_transactions = r.write_transactions,
                longest_write_ms = r.longest_write_ms,
                "reputation recomputed"
            ),
            Err(e) => tracing::warn!(error = %e, "reputation recompute failed"),
        }
    }

    /// Deletes the daily snapshots past the retention.
    fn prune(&mut self) -> Result<()> {
        let Some(keep) = self.schedule.keep_snapshots else {
            return Ok(());
        };
        let mut conn = self.pool.get()?;
        let gone = prune_snapshots(&mut conn, time::now() - keep)?;
        if gone > 0 {
            tracing::info!(snapshots = gone, "old reputation snapshots deleted");
        }
        Ok(())
    }

    /// A forced recompute: the topics of `scope` no other instance is recomputing.
    fn recompute(&mut self, scope: &Scope) -> Result<Report> {
        // Topics kept in memory catch up with every change the ledger holds so far.
        self.watch()?;
        let mut conn = self.pool.get()?;
        let params = &self.schedule.params;
        let mut spare = spare_for(&self.pool, &conn);
        let aids = Aids {
            cache: Some(&mut self.cache),
            spare: spare.as_deref_mut(),
        };
        let (report, _) = recompute_shared(
            &mut conn,
            scope,
            params,
            time::now(),
            None,
            &self.name,
            aids,
        )?;
        observe(&report);
        Ok(report)
    }

    /// Reads the ledger entries written since the last look and marks their topics dirty.
    fn watch(&mut self) -> Result<()> {
        let mut conn = self.pool.get()?;
        let Some(mut after) = self.seen else {
            self.seen = Some(storage::ledger::head(&mut conn)?.map_or(0, |(seq, _)| seq));
            self.rows_seen = storage::ledger::last_row(&mut conn)?;
            return Ok(());
        };
        loop {
            let entries = storage::ledger::changes(&mut conn, after, self.rows_seen, 1000)?;
            let Some(last) = entries.last() else { break };
            after = last.seq;
            let mut ids = Vec::new();
            for e in &entries {
                // An entry kept on a row (created, raised) names its endorsement without a payload.
                if let Some(id) = e.endorsement {
                    ids.push(id);
                    continue;
                }
                let payload: Touches = e
                    .payload
                    .as_deref()
                    .and_then(|p| serde_json::from_str(p).ok())
                    .unwrap_or_default();
                if e.kind == TOPIC_MERGED {
                    // Endorsements moved between topics under the kept ones.
                    self.cache.clear();
                }
                let (slug, id) = match e.kind.as_str() {
                    SEEDS_SET => (payload.topic, None),
                    TOPIC_MERGED => (payload.into, None),
                    ENDORSEMENT_REVOKED => (None, payload.id),
                    FLAG_RAISED | FLAG_REVIEWED => (None, payload.endorsement_id),
                    _ => (None, None),
                };
                ids.extend(id.as_ref().and_then(Value::as_i64));
                if let Some(slug) = slug.as_ref().and_then(Value::as_str) {
                    if let Some(id) = self.topic_id(&mut conn, slug)? {
                        self.dirty.insert(id);
                    }
                }
            }
            for (id, topic) in topics_of(&mut conn, &ids)? {
                self.dirty.insert(topic);
                self.cache.changed(topic, id);
            }
            let now = Instant::now();
            self.first_change.get_or_insert(now);
            self.last_change = Some(now);
        }
        self.seen = Some(after);
        Ok(())
    }

    fn topic_id(&mut self, conn: &mut DbConn, slug: &str) -> Result<Option<i32>> {
        if let Some(id) = self.topic_ids.get(slug) {
            return Ok(Some(*id));
        }
        let id = storage::topics::find_id(conn, slug)?;
        if let Some(id) = id {
            self.topic_ids.insert(slug.to_string(), id);
        }
        Ok(id)
    }
}

fn observe(report: &Report) {
    let metrics = crate::metrics::get();
    metrics.recompute_seconds.observe(report.seconds);
    metrics.recompute_topics.inc_by(report.topics as u64);
}

/// The fields of a ledger payload the watcher reads. serde steps over the rest (a flag's
/// evidence, a note) without building them: with detection on, half the entries are flags.
#[derive(Debug, Default, serde::Deserialize)]
struct Touches {
    topic: Option<Value>,
    into: Option<Value>,
    id: Option<Value>,
    endorsement_id: Option<Value>,
}

fn topics_of(conn: &mut DbConn, endorsements: &[i64]) -> Result<Vec<(i64, i32)>> {
    let mut out = Vec::new();
    for chunk in endorsements.chunks(500) {
        out.extend(storage::endorsements::topics_of(conn, chunk)?);
    }
    Ok(out)
}

/// A second connection for a recompute's store on PostgreSQL, if the pool has one idle (it
/// does not wait for one: a busy server lends it none, and the store uses one connection).
fn spare_for(pool: &DbPool, conn: &DbConn) -> Option<impl std::ops::DerefMut<Target = DbConn>> {
    matches!(conn, DbConn::Pg(_))
        .then(|| pool.try_get())
        .flatten()
}
