//! Group commit: one thread owns the write path and commits concurrent writes together.
//!
//! Requests hand their write to the writer as a closure and wait for its result. The writer
//! takes every write that is waiting (up to [`MAX_BATCH`]), runs them one after another in a
//! single write transaction, commits once, and only then answers each caller (on SQLite once the
//! log holding the commit is synced, by a thread beside the writer: see [`sync`]). So the ledger
//! stays one chain, each rule still sees every earlier write, one fsync serves a whole batch or
//! more, and no caller hears "done" before its write is durable.
//!
//! The writer owns the [`Model`] the rules and detectors read: loaded at start, caught up with
//! other writers' ledger entries at the start of every batch (under the write lock), changed by
//! each write as it is made, and dropped (to be loaded again) when a batch is rolled back. Its
//! writes reach the database through a [`Tx`], a few multi-row statements per batch.
//!
//! A write must refuse (with a rejection, not found, forbidden, conflict or idempotency
//! mismatch) before it writes anything. Any other error means the batch cannot be trusted: it is
//! rolled back whole, the failing write gets its error and the others `Unavailable` (retry).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;

use super::tx::Tx;
use super::{Error, Result};
use crate::db::{write_tx, Backend, DbConn, DbPool};
use crate::domain::flag::Detection;
use crate::domain::model::Model;

/// Most writes committed in one transaction.
pub const MAX_BATCH: usize = 256;
/// Writes waiting beyond this are refused at once with 503 rather than queued without bound.
pub const QUEUE: usize = 8192;

mod sync;

/// How the batch a write belonged to ended.
enum BatchEnd<'a> {
    /// Committed and on disk.
    Committed,
    Aborted(&'a str),
    /// Committed, but the disk did not confirm it (see [`sync`]): it may not survive a power cut.
    Unsynced(&'a str),
}

type Deliver = Box<dyn FnOnce(BatchEnd<'_>) + Send>;
/// A queued write: runs in the batch's [`Tx`] and says whether it faulted.
type Job = Box<dyn FnOnce(&mut Tx<'_>) -> (Deliver, bool) + Send>;

/// How often the model forgets neighbourhoods older than the detectors look back.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// How often the SQLite write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// How often, under sustained writes, the writer itself finishes the checkpoint between two
/// batches (see [`rewind_wal`]).
const REWIND_EVERY: Duration = Duration::from_secs(1);

/// Handle to the writer thread; it stops when the last handle is dropped.
pub struct Writer {
    queue: SyncSender<Job>,
    /// Set once the first load of the model has been tried (loaded, or found impossible).
    started: Arc<AtomicBool>,
    /// Cleared when the writer thread ends, however it ends.
    running: Arc<AtomicBool>,
    /// Held while the writer is wanted; the checkpointer stops when it is gone.
    _alive: Arc<()>,
}

/// Clears its flag when dropped: the writer thread holds one, so the flag says whether the
/// thread still runs even if it panicked.
struct Stopped(Arc<AtomicBool>);

impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Writer {
    /// Starts the writer with the default detector settings.
    pub fn start(pool: DbPool) -> std::io::Result<Writer> {
        Writer::start_with(pool, Detection::default())
    }

    /// Starts the writer thread on connections from `pool` (and, on SQLite, the checkpointer).
    /// The thread loads its model first; writes queue meanwhile.
    pub fn start_with(pool: DbPool, detection: Detection) -> std::io::Result<Writer> {
        let (queue, jobs) = sync_channel(QUEUE);
        let alive = Arc::new(());
        if pool.get().is_ok_and(|c| c.backend() == Backend::Sqlite) {
            let (pool, alive) = (pool.clone(), Arc::downgrade(&alive));
            std::thread::Builder::new()
                .name("plusk-checkpoint".into())
                .spawn(move || checkpoint_loop(&pool, &alive))?;
        }
        let started = Arc::new(AtomicBool::new(false));
        let running = Arc::new(AtomicBool::new(true));
        let (flag, gone) = (started.clone(), Stopped(running.clone()));
        std::thread::Builder::new()
            .name("plusk-writer".into())
            .spawn(move || {
                let _gone = gone;
                run(&pool, &jobs, &detection, &flag)
            })?;
        Ok(Writer {
            queue,
            started,
            running,
            _alive: alive,
        })
    }

    /// Whether the writer thread is still there to take writes.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Whether the writer has finished starting (its model loaded, or the database found out of
    /// reach): background work that would compete with the load for the CPU waits for this.
    pub fn started(&self) -> Arc<AtomicBool> {
        self.started.clone()
    }

    /// Runs `f` on the batch's connection, after the batch's pending rows are written, for
    /// writes the model cannot follow (tests that write rows directly): the model is loaded
    /// again after the batch, so whatever `f` wrote is seen.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
    {
        self.run(move |tx| {
            tx.mark_stale();
            f(tx.conn()?)
        })
        .await
    }

    /// Runs `f` in the next batch; resolves once the batch is committed (or not).
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        self.submit(f)?
            .await
            .map_err(|_| Error::Unavailable("the write was not carried out".into()))?
    }

    /// [`Writer::run`] for a thread outside any async runtime: blocks until the batch ends.
    pub fn run_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        self.submit(f)?
            .blocking_recv()
            .map_err(|_| Error::Unavailable("the write was not carried out".into()))?
    }

    /// Queues `f` for the next batch; the receiver gets its result once the batch has ended.
    fn submit<T, F>(&self, f: F) -> Result<tokio::sync::oneshot::Receiver<Result<T>>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        let (done, outcome) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |tx| {
            let result = f(tx);
            let faulted = matches!(
                result,
                Err(Error::Internal(_) | Error::Unavailable(_) | Error::StorageFull(_))
            );
            let deliver: Deliver = Box::new(move |end| {
                let result = match end {
                    BatchEnd::Committed => result,
                    BatchEnd::Unsynced(why) => result.and_then(|_| {
                        Err(Error::Unavailable(format!(
                            "{why}; the write may not survive a power cut"
                        )))
                    }),
                    BatchEnd::Aborted(_) if faulted => result,
                    BatchEnd::Aborted(why) if super::is_full(why) => {
                        Err(Error::StorageFull(why.to_string()))
                    }
                    BatchEnd::Aborted(why) => Err(Error::Unavailable(format!(
                        "the batch was rolled back: {why}"
                    ))),
                };
                let _ = done.send(result);
            });
            (deliver, faulted)
        });
        match self.queue.try_send(job) {
            Ok(()) => crate::metrics::get().writer_queue.inc(),
            Err(TrySendError::Full(_)) => {
                return Err(Error::Unavailable("too many writes are waiting".into()))
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::Unavailable("the writer has stopped".into()))
            }
        }
        Ok(outcome)
    }
}

fn run(pool: &DbPool, jobs: &Receiver<Job>, detection: &Detection, started: &AtomicBool) {
    let mut model = load(pool, detection);
    let syncer = syncer(pool);
    started.store(true, Ordering::Release);
    let (mut pruned, mut rewound) = (Instant::now(), Instant::now());
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let metrics = crate::metrics::get();
        metrics.writer_queue.sub(batch.len() as i64);
        metrics.writer_batch.observe(batch.len() as f64);
        if pruned.elapsed() >= PRUNE_EVERY {
            model.as_mut().map(Model::prune);
            pruned = Instant::now();
        }
        let rewind = rewound.elapsed() >= REWIND_EVERY;
        if rewind {
            rewound = Instant::now();
        }
        if !commit_batch(pool, &mut model, detection, batch, rewind, syncer.as_ref()) {
            // No connection: the database is down. Everything queued meanwhile would wait a
            // whole checkout timeout per batch; answer it now (dropped jobs answer
            // `Unavailable`) so no write waits much longer than one timeout.
            while let Ok(job) = jobs.try_recv() {
                metrics.writer_queue.dec();
                drop(job);
            }
        }
    }
}

/// SQLite normally copies its write-ahead log back into the database inside whichever commit
/// crosses 1000 pages, stalling that batch for a write and an fsync of the database file. The
/// writer turns that off for its connections, and this thread checkpoints beside it instead
/// (PASSIVE: it never blocks the writer or readers).
fn checkpoint_loop(pool: &DbPool, alive: &Weak<()>) {
    while alive.upgrade().is_some() {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Ok(mut conn) = pool.get() {
            if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                tracing::debug!(error = %e, "checkpoint skipped");
            }
        }
    }
}

/// The checkpointer's passive checkpoints never finish while batches keep coming: each copies
/// back the log as it was when it began, and the writer has appended more by then. SQLite only
/// starts the log over at a write that finds it wholly copied back, so under sustained load it
/// grew without end (1 GB in ten seconds at 10,000 writes/s, and as large on disk after). Once
/// in [`REWIND_EVERY`], between two batches, the writer copies back the little the
/// checkpointer left (PASSIVE: it waits on no one), so the batch's write starts the log over
/// unless a reader still uses it. The file keeps its size and is written over from the start:
/// trimming it (`journal_size_limit`) made every restart grow it again, block by block, and
/// cost about half of the gain (docs/BENCHMARKS.md).
fn rewind_wal(c: &mut diesel::SqliteConnection) {
    if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
        tracing::debug!(error = %e, "checkpoint skipped");
    }
}

/// On SQLite, the thread that makes batches durable (see [`sync`]); `None` on PostgreSQL, whose
/// commit waits for its own log.
fn syncer(pool: &DbPool) -> Option<sync::Syncer> {
    match &mut *pool.get().ok()? {
        DbConn::Sqlite(c) => sync::Syncer::start(c),
        DbConn::Pg(_) => None,
    }
}

/// The model at start; `None` (loaded by the first batch instead) when the database is out of
/// reach now.
fn load(pool: &DbPool, detection: &Detection) -> Option<Model> {
    let mut conn = pool.get().ok()?;
    match super::model::load(&mut conn, detection) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, "the writer state could not be loaded yet");
            None
        }
    }
}

/// Runs and commits one batch, on SQLite after [`rewind_wal`] when `rewind`; false when there
/// was no connection to run it on. Jobs dropped
/// unrun (no connection, a panic) answer their callers `Unavailable` through their closed
/// channels. A batch rolled back drops the model, which its jobs may have changed.
fn commit_batch(
    pool: &DbPool,
    model: &mut Option<Model>,
    detection: &Detection,
    batch: Vec<Job>,
    rewind: bool,
    syncer: Option<&sync::Syncer>,
) -> bool {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, writes = batch.len(), "no database connection for a batch of writes");
            return false;
        }
    };
    if let DbConn::Sqlite(c) = &mut *conn {
        // Checkpoints run on their own thread (see `checkpoint_loop`).
        let _ = c.batch_execute("PRAGMA wal_autocheckpoint = 0");
        if rewind {
            rewind_wal(c);
        }
        if syncer.is_some() {
            let _ = c.batch_execute("PRAGMA synchronous = NORMAL");
        }
    }
    let mut delivers = Vec::with_capacity(batch.len());
    let outcome = write_tx(&mut conn, |c| {
        let m = super::model::ready(c, model, detection)?;
        let mut tx = Tx::new(c, m);
        for job in batch {
            let (deliver, faulted) = catch_unwind(AssertUnwindSafe(|| job(&mut tx)))
                .map_err(|_| Error::Internal("a write panicked".into()))?;
            delivers.push(deliver);
            if faulted {
                return Err(Error::Internal("a write in the batch failed".into()));
            }
        }
        tx.flush()?;
        Ok(tx.is_stale())
    });
    if !matches!(outcome, Ok(false)) {
        *model = None;
    }
    if let (DbConn::Sqlite(c), Some(_)) = (&mut *conn, syncer) {
        // The connection goes back to the pool, whose other users commit durably themselves.
        let _ = c.batch_execute("PRAGMA synchronous = FULL");
    }
    let outcome = outcome.map(drop);
    match (outcome, syncer) {
        (Ok(()), Some(syncer)) => syncer.answer(delivers),
        (Ok(()), None) => delivers.into_iter().for_each(|d| d(BatchEnd::Committed)),
        (Err(e), _) => {
            tracing::warn!(error = %e, writes = delivers.len(), "a batch of writes was rolled back");
            let why = e.to_string();
            delivers
                .into_iter()
                .for_each(|d| d(BatchEnd::Aborted(&why)));
        }
    }
    true
}
