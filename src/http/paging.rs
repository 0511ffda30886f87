//! Page sizes and time filters, read the same way on every listing.

use chrono::{DateTime, Utc};

use super::errors::ApiError;
use crate::domain::{time, Rejection};

/// The page size a client asked for: `default` when absent, refused outside `1..=max`.
pub fn parse_limit(raw: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match raw {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {max}, got {n}"),
        )),
    }
}

/// An optional RFC 3339 filter (`since`, `until`), named in the refusal.
pub fn parse_time(
    field: &'static str,
    raw: &Option<String>,
) -> Result<Option<DateTime<Utc>>, Rejection> {
    raw.as_deref()
        .map(|r| time::parse_field(field, r))
        .transpose()
}
