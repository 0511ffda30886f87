//! A connection lent to a thread of its own, which writes batches' rows while the caller
//! judges the next ones. In a 200,000-line bulk load, judging (the model, detectors, ledger
//! hashes) took about 1.15 s and the inserts 0.7 s, one after the other on one core of two.
//!
//! The thread also chains the ledger entries the caller appended unsealed (hashing them in
//! order), so the caller's thread, the busier one, only judges.
//!
//! The thread keeps the connection until the caller asks for it back, and up to [`AHEAD`]
//! batches of rows may wait for it: a batch that is slow to judge and one that is slow to
//! write then even out, where a hand-over after every batch made each side wait for the
//! other's slowest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::Pending;
use crate::db::DbConn;
use crate::service::{Error, Result};

/// Batches of rows that may wait for the writing thread.
const AHEAD: usize = 2;

/// What a [`super::Tx`] needs of a pipe (a trait, so the transaction's borrow of the pipe may
/// be shorter than the pipe's of its connection).
pub(super) trait Lend {
    /// The connection, once every row sent before is written.
    fn conn(&mut self) -> Result<&mut DbConn>;
    /// Hands `rows` to the writing thread, to be written after the rows sent before.
    fn send(&mut self, rows: Pending) -> Result<()>;
}

/// What the caller sends the writing thread.
enum Order<'c> {
    /// The connection to write with, until it is asked back.
    Lend(&'c mut DbConn),
    Write(Pending),
    /// Send the connection back, with the outcome of every write since it was lent.
    GiveBack,
}

/// The connection is either here or with the writing thread.
pub struct Pipe<'c> {
    here: Option<&'c mut DbConn>,
    orders: SyncSender<Order<'c>>,
    back: Receiver<(&'c mut DbConn, Result<()>)>,
    /// Set by the writing thread when a write failed, so the caller stops judging batches
    /// that will be rolled back and hears why at its next send.
    failed: &'c AtomicBool,
}

/// Runs `f` with a pipe over `conn`, then waits for the last rows to be written. Call inside
/// the write transaction that should hold them; `head` is the hash of the last entry before
/// it ([`crate::domain::ledger::GENESIS_HASH`] when there is none), after which the rows'
/// entries are chained.
pub fn piped<T, E: From<Error>>(
    conn: &mut DbConn,
    mut head: String,
    f: impl FnOnce(&mut Pipe<'_>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (orders, todo) = sync_channel::<Order<'_>>(AHEAD);
        let (done, back) = sync_channel(1);
        let failed = &failed;
        std::thread::Builder::new()
            .name("plusk-bulk-write".into())
            .spawn_scoped(scope, move || {
                let mut lent: Option<&mut DbConn> = None;
                let mut outcome = Ok(());
                for order in todo {
                    match order {
                        Order::Lend(conn) => lent = Some(conn),
                        // After a failure the transaction is lost: the rest is not written.
                        Order::Write(mut rows) if outcome.is_ok() => {
                            outcome = match lent.as_deref_mut() {
                                Some(conn) => rows.seal(&mut head).and_then(|()| rows.write(conn)),
                                None => Err(Error::Internal("rows sent with no connection".into())),
                            };
                            if outcome.is_err() {
                                failed.store(true, Ordering::Relaxed);
                            }
                        }
                        Order::Write(_) => {}
                        Order::GiveBack => {
                            let Some(conn) = lent.take() else { return };
                            let written = std::mem::replace(&mut outcome, Ok(()));
                            if done.send((conn, written)).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .map_err(|e| Error::Internal(format!("cannot start the writing thread: {e}")))?;
        let mut pipe = Pipe {
            here: Some(conn),
            orders,
            back,
            failed,
        };
        let out = f(&mut pipe);
        // The last rows are written (or failed) before the caller commits.
        let last = pipe.conn().map(drop);
        let out = out?;
        last?;
        Ok(out)
    })
}

/// The error for a writing thread that is gone (it panicked).
fn stopped<T>(_: T) -> Error {
    Error::Internal("the thread writing the rows stopped".into())
}

impl Lend for Pipe<'_> {
    fn conn(&mut self) -> Result<&mut DbConn> {
        if self.here.is_none() {
            self.orders.send(Order::GiveBack).map_err(stopped)?;
            let (conn, written) = self.back.recv().map_err(stopped)?;
            self.here = Some(conn);
            written?;
        }
        Ok(self.here.as_deref_mut().expect("the connection is here"))
    }

    fn send(&mut self, rows: Pending) -> Result<()> {
        if self.failed.load(Ordering::Relaxed) {
            // Hear why now, not after judging the rest of the load.
            self.conn()?;
        }
        if rows.is_empty() {
            return Ok(());
        }
        if let Some(conn) = self.here.take() {
            self.orders.send(Order::Lend(conn)).map_err(stopped)?;
        }
        self.orders.send(Order::Write(rows)).map_err(stopped)
    }
}
