//! A table's secondary indexes, read from the catalogue, so a bulk load can drop them and build
//! them again afterwards with one sort each instead of millions of random inserts.

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

pub fn create(conn: &mut DbConn, index: &Index) -> QueryResult<()> {
    diesel::sql_query(&index.sql).execute(conn)?;
    Ok(())
}
