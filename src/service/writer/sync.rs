//! Making a SQLite batch durable off the writer's thread.
//!
//! With `synchronous = FULL` every commit waits for an fsync of the write-ahead log, and the
//! writer can do nothing else meanwhile: on the write path it spent a third of its time so
//! (docs/BENCHMARKS.md). Instead the writer commits its batches with `synchronous = NORMAL` (the
//! log's frames are written, not yet synced; SQLite still syncs the log before any checkpoint
//! and when it starts the log over, so the file cannot be corrupted) and hands the batch's
//! answers to this thread, which fsyncs the log and only then answers. The next batch is decided
//! and written while the disk works, and one fsync serves every batch committed before it.
//!
//! Nobody hears "done" before their write is on disk. What does change: for the length of an
//! fsync, another connection may read a committed write that a power cut would still take back
//! (with its caller never told it succeeded). A process that is killed loses nothing: the log's
//! frames are in the kernel's page cache.

use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};

use diesel::sqlite::SqliteConnection;
use diesel::RunQueryDsl;

use super::{BatchEnd, Deliver};

/// Hands committed batches to the syncing thread.
pub struct Syncer {
    batches: Sender<Vec<Deliver>>,
    wal: PathBuf,
}

impl Syncer {
    /// Starts the syncing thread for the database `conn` is open on; `None` (commits then sync
    /// themselves) when it has no log file to sync: an in-memory database.
    pub fn start(conn: &mut SqliteConnection) -> Option<Syncer> {
        let wal = wal_path(conn)?;
        let (batches, committed) = channel();
        let path = wal.clone();
        std::thread::Builder::new()
            .name("plusk-wal-sync".into())
            .spawn(move || sync_loop(&path, &committed))
            .ok()?;
        Some(Syncer { batches, wal })
    }

    /// Answers a committed batch once the log holding it is on disk.
    pub fn answer(&self, delivers: Vec<Deliver>) {
        if let Err(e) = self.batches.send(delivers) {
            // The thread is gone (it cannot fail short of a panic): answer here, after a sync.
            tracing::error!("the log-syncing thread has stopped; syncing on the writer's");
            let delivers = e.0;
            match sync(&self.wal) {
                Ok(()) => delivers.into_iter().for_each(|d| d(BatchEnd::Committed)),
                Err(e) => {
                    let why = format!("the write-ahead log could not be synced ({e})");
                    delivers
                        .into_iter()
                        .for_each(|d| d(BatchEnd::Unsynced(&why)));
                }
            }
        }
    }
}

/// The main database's `-wal` file, from SQLite itself (the path it opened, made absolute).
fn wal_path(conn: &mut SqliteConnection) -> Option<PathBuf> {
    #[derive(diesel::QueryableByName)]
    struct Db {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    let dbs: Vec<Db> = diesel::sql_query("PRAGMA database_list").load(conn).ok()?;
    let main = dbs.into_iter().find(|d| d.name == "main")?;
    (!main.file.is_empty()).then(|| PathBuf::from(format!("{}-wal", main.file)))
}

/// After a failed fsync no later one is trusted: the kernel may have dropped the pages it could
/// not write and report the next fsync clean, and SQLite's recovery stops at the first missing
/// frame, so later batches would be acknowledged on a log that lost what precedes them. Like
/// PostgreSQL, which stops on such a failure, every later batch is answered `Unavailable` until
/// plusk is restarted (its recovery then keeps what truly reached the disk).
fn sync_loop(wal: &PathBuf, committed: &Receiver<Vec<Deliver>>) {
    let mut failed: Option<String> = None;
    while let Ok(mut delivers) = committed.recv() {
        // Every batch committed by now is in the file: one sync answers them all.
        while let Ok(more) = committed.try_recv() {
            delivers.extend(more);
        }
        if failed.is_none() {
            if let Err(e) = sync(wal) {
                tracing::error!(error = %e, writes = delivers.len(), "the write-ahead log could not be synced; writes are refused until plusk is restarted");
                failed = Some(format!(
                    "the write-ahead log could not be synced ({e}); restart plusk"
                ));
            }
        }
        match &failed {
            None => delivers.into_iter().for_each(|d| d(BatchEnd::Committed)),
            Some(why) => delivers
                .into_iter()
                .for_each(|d| d(BatchEnd::Unsynced(why))),
        }
    }
}

/// Syncs the log file. Opened by name each time: when the last connection closes, SQLite
/// checkpoints, syncs the database and deletes the log, and the next connection makes a new
/// one, so a kept handle could sync a file no longer in use. A log found missing was therefore
/// copied back and synced by SQLite itself.
fn sync(wal: &PathBuf) -> std::io::Result<()> {
    match File::open(wal) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
