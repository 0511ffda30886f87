//! Transactions whose start differs per backend.
//!
//! Writes are serialised: on SQLite by `BEGIN IMMEDIATE` (the write lock is taken up front, so
//! a transaction never reads, then fails to upgrade); on PostgreSQL by a transaction-scoped
//! advisory lock taken first thing. Every rule that reads before it writes (the ledger head,
//! the daily budget, the duplicate check, idempotency keys) is therefore checked and acted on
//! atomically, on both backends alike.

use diesel::connection::{
    AnsiTransactionManager, Connection, SimpleConnection, TransactionManager,
};

use super::DbConn;

/// The advisory lock key that serialises plusk's writers on PostgreSQL ("plusk" in ASCII).
const PG_WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(482670127467)";

/// Runs `f` in a write transaction; commits on `Ok`, rolls back on `Err`.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            if let Err(e) = c.batch_execute(PG_WRITE_LOCK) {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                return Err(e.into());
            }
        }
    }
    finish(conn, f)
}

/// Runs `f` in a transaction for derived data that needs no order with the ledger (reputation
/// scores): on SQLite it still takes the write lock up front, on PostgreSQL it takes no lock, so
/// it never queues behind or ahead of endorsement writes there.
pub fn side_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    finish(conn, f)
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
