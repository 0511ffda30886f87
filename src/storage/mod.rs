//! Storage: the SQL plusk runs, one module per table. Every function takes `&mut DbConn` and runs
//! inside whatever transaction its caller opened; none opens one itself. Errors are plain diesel
//! errors; the service layer decides what they mean.
//!
//! Hot queries avoid `LIMIT ?` (diesel's `.first()`): SQLite looks at a bound LIMIT when it plans
//! the statement, so every new binding forces the cached statement to be prepared again. Lookups
//! by a unique key use `.get_result()` instead.

pub mod endorsements;
pub mod flags;
pub mod idempotency;
pub mod keys;
pub mod ledger;
pub mod reputation;
pub mod solicitations;
pub mod topics;
pub mod users;

use chrono::{DateTime, Utc};

/// Largest number of rows a single page query returns, whatever the caller asks.
pub const MAX_PAGE: i64 = 1000;

pub(crate) fn db_time(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    crate::domain::time::to_db(t)
}
