//! SQLite settings for one very large transaction into a database no one else has open (a
//! bulk load): a rollback journal instead of the write-ahead log, and no foreign key checks.
//!
//! In WAL mode every page a transaction changes beyond what the page cache holds is written
//! to the log, and every later read of such a page first looks it up in the log's index,
//! whose cost grows with the log: in a 10M-line bulk load the log grew to gigabytes and
//! `walFindFrame` took 10.8% of the writing thread. The whole log is then copied into the
//! database once more at the checkpoint. With a rollback journal, pages the cache cannot hold
//! go straight to the database file (only pages that existed before the load are copied to
//! the journal first), and reads find them there. A crash mid-load leaves a hot journal, which
//! the next connection rolls back before it reads, so the load stays all or nothing.
//!
//! Foreign keys: every endorsement row made SQLite look up its endorser, endorsee, topic and
//! ledger entry, four B-tree descents per row on the writing thread. A bulk load's rows are
//! made by the writer from its model, whose ids name rows written before them in the same
//! load or already in the database, so the checks can find nothing; a test runs SQLite's
//! `foreign_key_check` after a bulk load.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConn;

#[derive(QueryableByName)]
struct Mode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

/// Runs a `journal_mode` pragma (`= mode` to set it) and returns the mode it reports.
fn journal(c: &mut diesel::SqliteConnection, assign: &str) -> QueryResult<String> {
    let sql = format!("PRAGMA journal_mode{assign}");
    Ok(diesel::sql_query(sql)
        .get_result::<Mode>(c)?
        .journal_mode
        .to_ascii_lowercase())
}

/// What [`for_bulk_load`] changed, to be put back by [`Changed::put_back`].
#[must_use = "the connection keeps the bulk load's settings until `put_back` runs"]
pub struct Changed {
    was_wal: bool,
}

/// On SQLite, sets `conn` up for a bulk load: foreign key checks off, and, if the database is
/// in WAL mode and no other connection has it open, a rollback journal (with another
/// connection open SQLite refuses the switch, and the load keeps the log: as fast as before,
/// never wrong). Call outside a transaction. Returns `None` on PostgreSQL.
pub fn for_bulk_load(conn: &mut DbConn) -> QueryResult<Option<Changed>> {
    let DbConn::Sqlite(c) = conn else {
        return Ok(None);
    };
    c.batch_execute("PRAGMA foreign_keys = OFF")?;
    // An in-memory database or another mode chosen on purpose is left as it is.
    let was_wal = journal(c, "")? == "wal"
        && match journal(c, " = delete") {
            Ok(mode) => mode == "delete",
            // Another connection holds the database open in WAL mode.
            Err(diesel::result::Error::DatabaseError(..)) => false,
            Err(e) => return Err(e),
        };
    Ok(Some(Changed { was_wal }))
}

impl Changed {
    /// Puts back WAL mode and foreign key checks (call outside a transaction).
    pub fn put_back(self, conn: &mut DbConn) -> QueryResult<()> {
        if let DbConn::Sqlite(c) = conn {
            if self.was_wal {
                journal(c, " = wal")?;
            }
            c.batch_execute("PRAGMA foreign_keys = ON")?;
        }
        Ok(())
    }
}
