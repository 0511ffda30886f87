//! Opening connections with the right per-backend settings, and the r2d2 pool around them.

use std::time::Duration;

use diesel::connection::{Connection, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

use super::{DbConn, DbUrl};

/// The shared pool of database connections.
pub type DbPool = r2d2::Pool<Manager>;

/// Why a connection could not be opened or set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to {url}")]
    Connect {
        url: DbUrl,
        source: diesel::ConnectionError,
    },
    #[error("cannot configure the connection to {url}")]
    Setup {
        url: DbUrl,
        source: diesel::result::Error,
    },
    #[error(
        "cannot write {url}: the file or its folder is on a read-only file system or not \
         writable (plusk writes the database and its -wal and -shm files beside it)"
    )]
    ReadOnly { url: DbUrl, source: std::io::Error },
}

/// SQLite: WAL so readers never block the writer; FULL sync so a commit survives power loss
/// (a 201 means durable); a busy timeout so writers queue instead of failing; a 64 MiB page
/// cache and memory-mapped reads so a growing database is not re-read through system calls;
/// temporary storage in memory, so a multi-row insert's statement journal never spills to a file.
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 10000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
PRAGMA cache_size = -65536;
PRAGMA mmap_size = 268435456;
PRAGMA temp_store = MEMORY;";

/// PostgreSQL: UTC session so TIMESTAMP columns hold UTC; a statement timeout so a stuck query
/// cannot hold a request (and the ledger lock) forever.
const PG_SETUP: &str = "SET TIME ZONE 'UTC'; SET statement_timeout = '30s';";

/// Opens one connection to the backend named by `url`, with its session settings applied.
pub fn establish(url: &DbUrl) -> Result<DbConn, ConnectError> {
    let connect = |source| ConnectError::Connect {
        url: url.clone(),
        source,
    };
    let setup = |source| ConnectError::Setup {
        url: url.clone(),
        source,
    };
    match url {
        DbUrl::Postgres(raw) => {
            let sslmode_env = std::env::var_os("PGSSLMODE").is_some();
            let raw = super::url::libpq_url(raw, sslmode_env);
            let mut conn = PgConnection::establish(&raw).map_err(connect)?;
            conn.batch_execute(PG_SETUP).map_err(setup)?;
            Ok(DbConn::Pg(conn))
        }
        DbUrl::Sqlite(path) => {
            sqlite_multithread();
            let mut conn = SqliteConnection::establish(path).map_err(connect)?;
            if let Err(e) = conn.batch_execute(SQLITE_SETUP) {
                return Err(read_only(url, path).unwrap_or_else(|| setup(e)));
            }
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// The TLS version protecting a PostgreSQL connection, `None` when it is not encrypted (and
/// always for SQLite, which has no connection to protect).
pub fn tls_version(conn: &mut DbConn) -> diesel::QueryResult<Option<String>> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        version: Option<String>,
    }
    if conn.backend() == super::Backend::Sqlite {
        return Ok(None);
    }
    let rows: Vec<Ssl> =
        diesel::sql_query("SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl")
            .load(conn)?;
    Ok(rows.into_iter().next().and_then(|r| r.version))
}

/// Puts SQLite in multi-thread mode before its first connection: a connection is only ever used
/// by one thread at a time (the pool lends it out whole), so the per-call mutex of the default
/// serialized mode is pure overhead, a tenth of the time when the writer loads millions of rows.
fn sqlite_multithread() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called once, before this process opens any SQLite connection (every connection
        // is opened here, after this). If SQLite was already initialised the call returns
        // SQLITE_MISUSE and changes nothing, which is safe too.
        let rc =
            unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(rc, "SQLite stays in serialized mode");
        }
    });
}

/// SQLite's own error for a database it cannot write is "unable to open database file"; this
/// names the real cause when it is that the file cannot be opened for writing.
fn read_only(url: &DbUrl, path: &str) -> Option<ConnectError> {
    use std::io::ErrorKind;
    match std::fs::OpenOptions::new().append(true).open(path) {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
            ) =>
        {
            Some(ConnectError::ReadOnly {
                url: url.clone(),
                source: e,
            })
        }
        _ => None,
    }
}

/// Builds connections for r2d2 from an explicit [`DbUrl`] (diesel's own manager would guess the backend).
#[derive(Debug)]
pub struct Manager {
    url: DbUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1")
            .map_err(|source| ConnectError::Setup {
                url: self.url.clone(),
                source,
            })
    }

    /// A connection left inside a transaction (a panic mid-request) must not be reused.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        let status =
            <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn);
        !matches!(status.transaction_depth(), Ok(None))
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a request waits for a free connection before it is answered 503.
    pub checkout_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            checkout_timeout: Duration::from_secs(5),
        }
    }
}

/// Builds the pool. One connection is opened first so a bad URL fails fast with the real error.
pub fn build_pool(url: &DbUrl, opts: &PoolOptions) -> Result<DbPool, ConnectError> {
    drop(establish(url)?);
    let manager = Manager { url: url.clone() };
    let pool = r2d2::Pool::builder()
        .max_size(opts.max_size)
        .min_idle(Some(1))
        .connection_timeout(opts.checkout_timeout)
        .test_on_check_out(false)
        .build_unchecked(manager);
    Ok(pool)
}
