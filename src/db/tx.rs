//! Transactions whose start differs per backend.
//!
//! Writes are serialised: on SQLite by `BEGIN IMMEDIATE` (the write lock is taken up front, so
//! a transaction never reads, then fails to upgrade); on PostgreSQL by a transaction-scoped
//! advisory lock taken first thing. Every rule that reads before it writes (the ledger head,
//! the daily budget, the duplicate check, idempotency keys) is therefore checked and acted on
//! atomically, on both backends alike.
//!
//! On SQLite the threads of one process also queue for a fair in-process gate before `BEGIN
//! IMMEDIATE`. SQLite's own busy handler is not a queue: a waiting connection sleeps and
//! retries, so a thread that commits and begins again at once (a recompute writing thousands
//! of small transactions) can keep the lock for as long as it likes while the writer's retries
//! keep missing the gaps, until the busy timeout answers `database is locked`. The gate hands
//! the lock to whoever waited first, so a writer waits for at most one transaction ahead of it.

use diesel::connection::{
    AnsiTransactionManager, Connection, SimpleConnection, TransactionManager,
};

use parking_lot::{FairMutex, FairMutexGuard};

use super::DbConn;

/// The SQLite write gate (see the module note). One per process: a plusk process serves one
/// database, and a test process with many databases only queues its short writes.
static SQLITE_WRITE_GATE: FairMutex<()> = FairMutex::new(());

/// Holds the SQLite write gate, or nothing on PostgreSQL, until the transaction ends.
fn gate(conn: &DbConn) -> Option<FairMutexGuard<'static, ()>> {
    matches!(conn, DbConn::Sqlite(_)).then(|| SQLITE_WRITE_GATE.lock())
}

/// Begins a PostgreSQL write transaction and takes the advisory lock that serialises plusk's
/// writers (its key is "plusk" in ASCII). Both go in one simple query: one round trip to the
/// server instead of two, on every batch the writer commits.
const PG_BEGIN_LOCKED: &str = "BEGIN; SELECT pg_advisory_xact_lock(482670127467)";

/// Runs `f` in a write transaction; commits on `Ok`, rolls back on `Err`.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let _gate = gate(conn);
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => {
            if let Err(e) = AnsiTransactionManager::begin_transaction_sql(c, PG_BEGIN_LOCKED) {
                // The BEGIN may have run and the lock failed (a statement timeout): diesel
                // counts no transaction then, so end the server's by hand. Outside a
                // transaction this ROLLBACK only warns.
                let _ = c.batch_execute("ROLLBACK");
                return Err(e.into());
            }
        }
    }
    finish(conn, f)
}

/// Runs `f` in a transaction for derived data that needs no order with the ledger (reputation
/// scores): on SQLite it still takes the write lock up front, on PostgreSQL it takes no lock, so
/// it never queues behind or ahead of endorsement writes there.
///
/// On SQLite it commits with `synchronous = NORMAL`: without waiting for an fsync of the log,
/// which it would do holding the one write lock, with endorsement writes queued behind it (a
/// recompute's transaction carries megabytes of scores). A crash may lose such a commit, never
/// half of one, and scores are computed again; the log is synced by the writer's next batch
/// (see `service::writer`) or the next checkpoint, and every other commit keeps `FULL`.
pub fn side_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let _gate = gate(conn);
    match conn {
        DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA synchronous = NORMAL")?;
            if let Err(e) = AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE") {
                c.batch_execute("PRAGMA synchronous = FULL")?;
                return Err(e.into());
            }
        }
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let out = finish(conn, f);
    if let DbConn::Sqlite(c) = conn {
        // The connection goes back to the pool: every other commit on it syncs. (A failed
        // transaction's own error says more than this one would.)
        let restored = c.batch_execute("PRAGMA synchronous = FULL");
        if out.is_ok() {
            restored?;
        }
    }
    out
}

/// Runs `f` on one consistent snapshot of the database, read-only.
pub fn snapshot_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    finish(conn, f)
}

fn finish<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => match Tm::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Tm::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = Tm::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Lifts PostgreSQL's per-statement timeout until the end of the current transaction, for the
/// few statements that are long by design (building an index over every endorsement). SQLite
/// has no such timeout.
pub fn allow_long_statements(conn: &mut DbConn) -> diesel::QueryResult<()> {
    if let DbConn::Pg(c) = conn {
        c.batch_execute("SET LOCAL statement_timeout = 0")?;
    }
    Ok(())
}
