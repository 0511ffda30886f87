//! Page sizes, read the same way on every listing.

use super::errors::ApiError;

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
