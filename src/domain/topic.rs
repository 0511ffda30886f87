//! Topic slugs.

use std::fmt;

use super::Rejection;

/// Longest slug accepted.
pub const MAX_LEN: usize = 64;

/// A validated topic slug: 1–64 characters of `a-z 0-9 -`, after lower-casing and turning
/// spaces into `-` ("Social Media" → `social-media`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicSlug(String);

impl TopicSlug {
    pub fn parse(raw: &str) -> Result<TopicSlug, Rejection> {
        let slug: String = raw
            .chars()
            .map(|c| {
                if c == ' ' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        if slug.is_empty() {
            return Err(Rejection::InvalidTopic("must not be empty".into()));
        }
        if slug.chars().count() > MAX_LEN {
            return Err(Rejection::InvalidTopic(format!(
                "longer than {MAX_LEN} characters"
            )));
        }
        if let Some(bad) = slug
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(Rejection::InvalidTopic(format!(
                "character {bad:?} is not allowed (use a-z, 0-9, - and spaces)"
            )));
        }
        Ok(TopicSlug(slug))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(
            TopicSlug::parse("Social Media").unwrap().as_str(),
            "social-media"
        );
        assert_eq!(TopicSlug::parse("rust-2024").unwrap().as_str(), "rust-2024");
    }

    #[test]
    fn rejects_other_characters() {
        for bad in ["", "social_media", "café", "a/b", "tab\tbed"] {
            assert!(TopicSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(TopicSlug::parse(&"a".repeat(65)).is_err());
    }
}
