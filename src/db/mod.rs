//! Database access: the backend chosen from the URL, the connection pool, transactions and migrations.
//!
//! plusk runs on SQLite by default and on PostgreSQL in production from the same code. Queries are
//! written once against [`DbConn`], diesel's multi-backend connection; the few things that differ
//! (connection settings, how a write transaction starts) are decided here and nowhere else.

pub mod bulk;
pub mod instant;
pub mod schema;

mod migrate;
mod pool;
mod tx;
mod url;

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

pub use migrate::{ensure_migrated, pending_migrations, run_migrations};
pub use pool::{build_pool, establish, tls_version, ConnectError, DbPool, PoolOptions};
pub use tx::{allow_long_statements, side_tx, snapshot_tx, write_tx};
pub use url::{Backend, DbUrl, DbUrlError};

/// One connection to either backend. Only SQL types both backends share are used through it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    /// Which backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}
