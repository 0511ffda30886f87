//! Endorsements: the validated request, the stored view, and their status.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::handle::Handle;
use super::topic::TopicSlug;
use super::Rejection;

/// Longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Where an endorsement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Counts.
    Active,
    /// Held for moderators (begging detection); counts at reduced weight until reviewed.
    Flagged,
    /// A moderator upheld a flag; never counts again.
    Voided,
    /// Withdrawn by the app that created it (or an admin).
    Revoked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Flagged => "flagged",
            Status::Voided => "voided",
            Status::Revoked => "revoked",
        }
    }
}

impl FromStr for Status {
    type Err = Rejection;

    fn from_str(s: &str) -> Result<Status, Rejection> {
        [
            Status::Active,
            Status::Flagged,
            Status::Voided,
            Status::Revoked,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| Rejection::InvalidStatus(s.to_string()))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A validated request to endorse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndorsement {
    pub endorser: Handle,
    pub endorsee: Handle,
    pub topic: TopicSlug,
    pub note: Option<String>,
}

impl NewEndorsement {
    /// Validates raw fields; the first bad one is reported.
    pub fn parse(
        endorser: &str,
        endorsee: &str,
        topic: &str,
        note: Option<String>,
    ) -> Result<NewEndorsement, Rejection> {
        let endorser = Handle::parse("endorser", endorser)?;
        let endorsee = Handle::parse("endorsee", endorsee)?;
        let topic = TopicSlug::parse(topic)?;
        if let Some(n) = &note {
            let chars = n.chars().count();
            if chars > MAX_NOTE_CHARS {
                return Err(Rejection::NoteTooLong(chars));
            }
            super::text::check("note", n)?;
        }
        Ok(NewEndorsement {
            endorser,
            endorsee,
            topic,
            note,
        })
    }
}

/// An endorsement as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Endorsement {
    pub id: i64,
    /// Handle of the user who vouches.
    pub endorser: String,
    /// Handle of the user vouched for.
    pub endorsee: String,
    /// Topic slug.
    pub topic: String,
    pub note: Option<String>,
    pub status: Status,
    #[serde(with = "super::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When the endorser took it back; `null` unless `status` is `revoked`. (Responses stored
    /// for `Idempotency-Key` replays before this field existed lack it.)
    #[serde(default, with = "super::time::serde_micros_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Sequence number of the ledger entry that recorded it.
    pub ledger_seq: i64,
}

/// The fields of an endorsement the ledger vouches for, as replayed from the ledger or read
/// from the table; `ledger verify` compares the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndorsementState {
    pub id: i64,
    pub endorser: String,
    pub endorsee: String,
    pub topic: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ledger_seq: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_fields_and_note_length() {
        let ok =
            NewEndorsement::parse("Alice", "bob", "Social Media", Some("é".repeat(500))).unwrap();
        assert_eq!(ok.endorser.as_str(), "alice");
        assert_eq!(ok.topic.as_str(), "social-media");
        let long = NewEndorsement::parse("a", "b", "t", Some("x".repeat(501)));
        assert_eq!(long, Err(Rejection::NoteTooLong(501)));
        assert!(matches!(
            NewEndorsement::parse("a", "b c", "t", None),
            Err(Rejection::InvalidHandle {
                field: "endorsee",
                ..
            })
        ));
    }
}
