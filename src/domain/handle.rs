//! User handles (and key names, which follow the same rules).

use std::fmt;

use super::Rejection;

/// Longest handle accepted.
pub const MAX_LEN: usize = 64;

/// A validated, lower-cased handle: 1–64 characters of `A-Z a-z 0-9 _ . -`.
/// Handles compare case-insensitively, so the canonical form is stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

impl Handle {
    /// Parses a handle; `field` names the input in the error ("endorser", "endorsee", ...).
    pub fn parse(field: &'static str, raw: &str) -> Result<Handle, Rejection> {
        let reject = |reason: String| Rejection::InvalidHandle { field, reason };
        if raw.is_empty() {
            return Err(reject("must not be empty".into()));
        }
        if raw.chars().count() > MAX_LEN {
            return Err(reject(format!("longer than {MAX_LEN} characters")));
        }
        if let Some(bad) = raw.chars().find(|c| !is_handle_char(*c)) {
            return Err(reject(format!(
                "character {bad:?} is not allowed (use A-Z, a-z, 0-9, _, . and -)"
            )));
        }
        // `.` and `..` are path segments: `/v1/users/../reputation` cannot name a user.
        if raw.chars().all(|c| c == '.') {
            return Err(reject("must not be only dots".into()));
        }
        Ok(Handle(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_accepts_the_allowed_set() {
        assert_eq!(
            Handle::parse("h", "Alice.B-C_9").unwrap().as_str(),
            "alice.b-c_9"
        );
        assert!(Handle::parse("h", &"a".repeat(64)).is_ok());
    }

    #[test]
    fn rejects_empty_long_and_foreign_characters() {
        for bad in [
            "", " alice", "al ice", "alice!", "ålice", "a\u{0}", "аlice", ".", "..",
        ] {
            assert!(Handle::parse("h", bad).is_err(), "{bad:?} accepted");
        }
        assert!(Handle::parse("h", &"a".repeat(65)).is_err());
    }
}
