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

/// Most handles an ask is taken to name: a text naming more is a list, not a plea for a friend.
pub const MAX_MENTIONS: usize = 8;

/// The users a text names with `@handle` (an `@` not glued to a word before it, so an e-mail
/// address is not a mention), lower-cased, without repeats, in order, at most
/// [`MAX_MENTIONS`]. A sentence's full stop after a handle is not part of it.
pub fn mentioned(text: &str) -> Vec<Handle> {
    let mut out: Vec<Handle> = Vec::new();
    for (_, handle) in mentions(text) {
        if !out.contains(&handle) {
            out.push(handle);
        }
        if out.len() == MAX_MENTIONS {
            break;
        }
    }
    out
}

/// Every mention in a text, in order and with repeats: the byte range of `@handle` and the
/// handle it names.
pub fn mentions(text: &str) -> Vec<(std::ops::Range<usize>, Handle)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let glued = prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        prev = Some(c);
        if c != '@' || glued {
            continue;
        }
        let rest = &text[i + 1..];
        let end = rest
            .find(|ch: char| !is_handle_char(ch))
            .unwrap_or(rest.len());
        let raw = rest[..end].trim_end_matches(['.', '-']);
        if let Ok(handle) = Handle::parse("mention", raw) {
            out.push((i..i + 1 + raw.len(), handle));
        }
    }
    out
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
    fn mentions_are_at_handles_not_addresses() {
        let names = |t: &str| -> Vec<String> {
            mentioned(t)
                .iter()
                .map(|h| h.as_str().to_string())
                .collect()
        };
        assert_eq!(names("please +K my friend @Bob.Smith."), ["bob.smith"]);
        assert_eq!(names("@ann and @bob, then @ANN again"), ["ann", "bob"]);
        assert_eq!(names("write to me@example.com"), Vec::<String>::new());
        assert_eq!(names("an @ alone, or @..."), Vec::<String>::new());
        let many: String = (0..20).map(|i| format!("@u{i} ")).collect();
        assert_eq!(mentioned(&many).len(), MAX_MENTIONS);
    }

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
