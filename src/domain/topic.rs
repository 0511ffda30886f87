//! Topic slugs, and which endorsement a merge of two topics keeps where both hold one.

use std::fmt;

use chrono::{DateTime, Utc};

use super::endorsement::Status;
use super::Rejection;

/// Longest slug accepted.
pub const MAX_LEN: usize = 64;

/// A validated topic slug: 1–64 characters of `a-z 0-9 -` with at least one letter or digit.
/// Input is lower-cased, trimmed, every run of spaces and dashes becomes one `-`, and dashes at
/// either end are dropped, so `" Rust  Lang "`, `"rust--lang"` and `"rust-lang-"` are one topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicSlug(String);

impl TopicSlug {
    pub fn parse(raw: &str) -> Result<TopicSlug, Rejection> {
        let slug = normalise(raw);
        if let Some(bad) = slug
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(Rejection::InvalidTopic(format!(
                "character {bad:?} is not allowed (use a-z, 0-9, - and spaces)"
            )));
        }
        if slug.is_empty() {
            return Err(Rejection::InvalidTopic(
                "must contain a letter or a digit (a-z, 0-9)".into(),
            ));
        }
        if slug.chars().count() > MAX_LEN {
            return Err(Rejection::InvalidTopic(format!(
                "longer than {MAX_LEN} characters"
            )));
        }
        Ok(TopicSlug(slug))
    }

    /// Whether a stored slug is already in the form `parse` gives (older versions kept runs of
    /// dashes and dashes at the ends); `plusk topics merge` folds the others into their form.
    pub fn is_normal(stored: &str) -> bool {
        TopicSlug::parse(stored).is_ok_and(|s| s.0 == stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-cases, then folds each run of spaces and dashes into one `-`, dropping those at either
/// end; any other character is kept for `parse` to refuse by name.
fn normalise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_dash = false;
    for c in raw.chars() {
        if c == ' ' || c == '-' {
            pending_dash = !out.is_empty();
            continue;
        }
        if pending_dash {
            out.push('-');
            pending_dash = false;
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl fmt::Display for TopicSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An endorsement that is not revoked, as a topic merge weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    pub id: i64,
    pub status: Status,
    pub created_at: DateTime<Utc>,
}

/// Of two live endorsements of one pair of users, one in each of two topics being merged, the
/// one the merged topic keeps (the other is revoked: a pair has one live endorsement per topic).
/// A voided one is kept: a moderator's upheld flag is final, and keeps the pair blocked.
/// Otherwise the older is kept, since the endorser vouched first with it.
pub fn kept_in_merge(a: Live, b: Live) -> Live {
    match (a.status == Status::Voided, b.status == Status::Voided) {
        (true, false) => a,
        (false, true) => b,
        _ if (b.created_at, b.id) < (a.created_at, a.id) => b,
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(id: i64, status: Status, minute: i64) -> Live {
        Live {
            id,
            status,
            created_at: DateTime::UNIX_EPOCH + chrono::Duration::minutes(minute),
        }
    }

    #[test]
    fn a_merge_keeps_the_voided_then_the_older() {
        let old = live(1, Status::Active, 0);
        let young = live(2, Status::Flagged, 5);
        assert_eq!(kept_in_merge(old, young), old);
        assert_eq!(kept_in_merge(young, old), old);
        let voided = live(3, Status::Voided, 9);
        assert_eq!(kept_in_merge(old, voided), voided);
        assert_eq!(kept_in_merge(voided, old), voided);
        let twin = live(4, Status::Active, 0);
        assert_eq!(kept_in_merge(twin, old), old, "same time: the lower id");
    }

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(
            TopicSlug::parse("Social Media").unwrap().as_str(),
            "social-media"
        );
        assert_eq!(TopicSlug::parse("rust-2024").unwrap().as_str(), "rust-2024");
    }

    #[test]
    fn trims_and_collapses_separators() {
        for raw in [
            " Rust  Lang ",
            "rust--lang",
            "-rust-lang-",
            "rust - lang",
            "RUST-LANG",
        ] {
            assert_eq!(
                TopicSlug::parse(raw).unwrap().as_str(),
                "rust-lang",
                "{raw:?}"
            );
        }
        assert_eq!(
            TopicSlug::parse("rust-").unwrap(),
            TopicSlug::parse("rust").unwrap()
        );
    }

    #[test]
    fn refuses_slugs_without_a_letter_or_digit() {
        for bad in ["-", "--", "  ", " - - "] {
            let err = TopicSlug::parse(bad).unwrap_err();
            assert!(
                format!("{err:?}").contains("letter or a digit"),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn tells_stored_odd_slugs_apart() {
        assert!(TopicSlug::is_normal("rust-lang"));
        for odd in ["-rust--lang-", "rust-", "-", "Rust"] {
            assert!(!TopicSlug::is_normal(odd), "{odd:?}");
        }
    }

    #[test]
    fn rejects_other_characters() {
        for bad in ["", "social_media", "café", "a/b", "tab\tbed"] {
            assert!(TopicSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(TopicSlug::parse(&"a".repeat(65)).is_err());
    }
}
