//! Use cases. Each public function here is one unit of work: it gathers what the rules need,
//! asks the domain to decide, and applies the outcome through storage.
//!
//! Who owns the transaction: every write that touches the ledger runs in a [`tx::Tx`] inside
//! one write transaction opened by its caller — the [`writer`]'s batch for the API, the
//! importer's batch for `plusk import` — which reads the rules' state from the writer's
//! [`model`] and commits after [`tx::Tx::flush`]. Key management (`keys`) writes no ledger
//! entry and opens its own `write_tx`. The HTTP handlers and the CLI call these and nothing
//! below them.

pub mod detect;
pub mod endorsements;
pub mod flags;
pub mod import;
pub mod keys;
pub mod ledger;
pub mod model;
pub mod queue;
pub mod reputation;
pub mod solicitations;
pub mod sweep;
pub mod topics;
pub mod tx;
pub mod users;
mod verify;
pub mod writer;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::domain::keys::{Rate, Role};
use crate::domain::Rejection;

/// Who is calling: an authenticated API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: i32,
    pub name: String,
    pub role: Role,
    /// The key's own request quota, if an admin set one; otherwise the server's defaults apply.
    pub rate: Option<Rate>,
    /// Requests a minute across every instance, counted in the database, if an admin set it.
    pub global_per_minute: Option<u32>,
}

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The rules or the input say no; the client can fix it.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The thing named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The caller may not do this to this thing.
    #[error("{0}")]
    Forbidden(String),
    /// A name is taken or a state forbids the change.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// The Idempotency-Key was already used with a different request.
    #[error("this Idempotency-Key was already used with a different request body")]
    IdempotencyMismatch,
    /// The database cannot be reached or is overloaded; try again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database has no room left for a write; reads still work.
    #[error("the database's storage is full: {0}")]
    StorageFull(String),
    /// A fault in plusk or its database. Logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DieselError> for Error {
    fn from(e: DieselError) -> Error {
        match &e {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Error::Unavailable(e.to_string())
            }
            DieselError::DatabaseError(_, info)
                if is_busy(info.message()) || is_gone(info.message()) =>
            {
                Error::Unavailable(e.to_string())
            }
            DieselError::DatabaseError(_, info) if is_full(info.message()) => {
                Error::StorageFull(e.to_string())
            }
            _ => Error::Internal(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Error {
        Error::Unavailable(e.to_string())
    }
}

/// SQLite reports lock time-outs as plain errors; they mean "busy", not "broken".
fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100) and a failed write of either.
pub(crate) fn is_full(message: &str) -> bool {
    [
        "database or disk is full",
        "No space left on device",
        "could not extend file",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// PostgreSQL going away under a connection: shut down, restarted or unreachable (the first
/// query on a connection the server has just terminated fails with one of these, before the
/// pool notices the connection is dead).
fn is_gone(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "the database system is shutting down",
        "the database system is starting up",
        "could not connect to server",
        "Connection refused",
        "connection to server",
        "SSL connection has been closed",
        "could not receive data from server",
        "could not send data to server",
    ]
    .iter()
    .any(|m| message.contains(m))
}

pub type Result<T> = std::result::Result<T, Error>;
