//! A table's secondary indexes, read from the catalogue, so a bulk load can drop them and build
//! them again afterwards with one sort each instead of millions of random inserts.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConn;

/// A secondary index: its name and the statement that creates it, as the catalogue holds it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Index {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub sql: String,
}

/// The indexes of `table` that back no constraint (primary keys and UNIQUE columns stay), by
/// name. `table` is one of plusk's own table names, never input.
pub fn secondary(conn: &mut DbConn, table: &'static str) -> QueryResult<Vec<Index>> {
    let sql = match conn {
        // Indexes SQLite makes for PRIMARY KEY and UNIQUE have no SQL of their own.
        DbConn::Sqlite(_) => format!(
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name"
        ),
        DbConn::Pg(_) => format!(
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = '{table}' \
             AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass) \
             ORDER BY indexname"
        ),
    };
    diesel::sql_query(sql).load(conn)
}

pub fn drop(conn: &mut DbConn, index: &Index) -> QueryResult<()> {
    diesel::sql_query(format!("DROP INDEX {}", index.name)).execute(conn)?;
    Ok(())
}

/// Builds `indexes` one after another, calling `on_each` with each and its place (from 1)
/// before it is built.
///
/// On SQLite the builds sort with a small page cache and temporary files: SQLite's sorter
/// keeps as many rows in memory as the cache holds, and sorting one list of 64 MiB is slower
/// than sorting many cache-sized runs and merging them. Measured with the `sqlite3` shell on
/// a 1M-endorsement table, the four endorsement indexes took 5.2–5.9 s with the connection's
/// usual settings (a 64 MiB cache, temporary storage in memory; three runs) and 2.5–3.8 s with
/// these (six runs). SQLite writes its temporary files to the first writable of
/// `SQLITE_TMPDIR`, `TMPDIR`, `/var/tmp`, `/usr/tmp` and `/tmp`. The usual settings are put back
/// afterwards, also when a build fails.
pub fn create_all(
    conn: &mut DbConn,
    indexes: &[Index],
    mut on_each: impl FnMut(&Index, usize),
) -> QueryResult<()> {
    let restore = match conn {
        DbConn::Sqlite(c) => {
            let usual = SqliteSorting::read(c)?;
            c.batch_execute("PRAGMA cache_size = -2000; PRAGMA temp_store = FILE")?;
            Some(usual)
        }
        DbConn::Pg(_) => None,
    };
    let built = indexes.iter().enumerate().try_for_each(|(i, index)| {
        on_each(index, i + 1);
        diesel::sql_query(&index.sql).execute(conn).map(|_| ())
    });
    let restored = match (restore, conn) {
        (Some(usual), DbConn::Sqlite(c)) => usual.put_back(c),
        _ => Ok(()),
    };
    // A failed build says more than a failure to put the settings back.
    built.and(restored)
}

/// The SQLite settings [`create_all`] changes, as they were.
struct SqliteSorting {
    cache_size: i64,
    temp_store: i64,
}

impl SqliteSorting {
    fn read(c: &mut diesel::SqliteConnection) -> QueryResult<SqliteSorting> {
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            value: i64,
        }
        let mut pragma = |name: &str| -> QueryResult<i64> {
            let sql = format!("SELECT {name} AS value FROM pragma_{name}");
            Ok(diesel::sql_query(sql).get_result::<Value>(c)?.value)
        };
        Ok(SqliteSorting {
            cache_size: pragma("cache_size")?,
            temp_store: pragma("temp_store")?,
        })
    }

    fn put_back(&self, c: &mut diesel::SqliteConnection) -> QueryResult<()> {
        c.batch_execute(&format!(
            "PRAGMA cache_size = {}; PRAGMA temp_store = {}",
            self.cache_size, self.temp_store
        ))
    }
}
