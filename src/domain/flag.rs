//! Flags: an endorsement a detector found suspicious, held for a moderator.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::endorsement::Status;

/// Default for how far apart an ask and the endorsement it prompted (or two trading
/// endorsements) may be.
pub const DEFAULT_WINDOW: Duration = Duration::hours(72);
/// Default score at or above which a flag holds its endorsement (status `flagged`).
pub const DEFAULT_HOLD_THRESHOLD: f64 = 0.5;

/// The detectors' settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Off skips the detectors entirely (for operators back-filling trusted history).
    pub enabled: bool,
    /// How far apart an ask and the endorsement it prompted, or two trading endorsements, may be.
    pub window: Duration,
    /// A flag scoring this or more holds its endorsement until a moderator decides.
    pub hold_threshold: f64,
    pub lockstep: LockstepRule,
    /// Solicitations one key may report per rolling 24 hours (`None`: unlimited).
    pub reports_per_key: Option<u32>,
    /// How often a server runs the periodic sweep (`None`: never).
    pub sweep_every: Option<Duration>,
}

/// The default of [`Detection::sweep_every`].
pub const DEFAULT_SWEEP_MINUTES: u32 = 60;

/// The default of [`Detection::reports_per_key`].
pub const DEFAULT_REPORTS_PER_KEY: u32 = 1000;

impl Default for Detection {
    fn default() -> Self {
        Detection {
            enabled: true,
            window: DEFAULT_WINDOW,
            hold_threshold: DEFAULT_HOLD_THRESHOLD,
            lockstep: LockstepRule::default(),
            reports_per_key: Some(DEFAULT_REPORTS_PER_KEY),
            sweep_every: Some(Duration::minutes(DEFAULT_SWEEP_MINUTES.into())),
        }
    }
}

/// Why a flag was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The endorsee asked the endorser (or everyone) for it shortly before.
    Solicited,
    /// The endorsement's own note begs or trades.
    BeggingNote,
    /// The endorsee endorsed the endorser in the same topic shortly before (vote trading).
    Reciprocal,
    /// The endorsement closes a directed cycle of 3 or 4 among the topic's recent endorsements.
    Ring,
    /// The endorsee receives far more endorsements this hour than their own baseline.
    Burst,
    /// A group of endorsers endorsed the same set of endorsees within a short time.
    Lockstep,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Solicited => "solicited",
            Reason::BeggingNote => "begging_note",
            Reason::Reciprocal => "reciprocal",
            Reason::Ring => "ring",
            Reason::Burst => "burst",
            Reason::Lockstep => "lockstep",
        }
    }

    /// Every reason.
    pub const ALL: [Reason; 6] = [
        Reason::Solicited,
        Reason::BeggingNote,
        Reason::Reciprocal,
        Reason::Ring,
        Reason::Burst,
        Reason::Lockstep,
    ];

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Where a flag stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FlagStatus {
    Open,
    /// A moderator agreed: the endorsement is voided.
    Upheld,
    /// A moderator disagreed: the flag no longer holds the endorsement.
    Dismissed,
}

impl FlagStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagStatus::Open => "open",
            FlagStatus::Upheld => "upheld",
            FlagStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<FlagStatus> {
        [FlagStatus::Open, FlagStatus::Upheld, FlagStatus::Dismissed]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Uphold,
    Dismiss,
}

/// A detector's finding, before it is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub reason: Reason,
    pub score: f64,
    /// What a moderator needs to judge it: the ask, the note, the other endorsement.
    pub evidence: serde_json::Value,
    /// The other endorsements of the same group (the rest of a ring, a lockstep group's other
    /// endorsements): each gets the same flag, since a pattern is made by all its edges, not
    /// only by the one that completed it.
    pub group: Vec<i64>,
}

/// The reported ask a flag was raised for, if it was raised for one (`solicited` flags name it
/// in their evidence): a moderator can decide all of one report's flags at once.
pub fn report_of(reason: &str, evidence: &serde_json::Value) -> Option<i64> {
    (reason == Reason::Solicited.as_str())
        .then(|| evidence["solicitation_id"].as_i64())
        .flatten()
}

/// The endorsement's status after a flag with `score` is raised on it.
pub fn status_after_flag(current: Status, score: f64, hold_threshold: f64) -> Status {
    if current == Status::Active && score >= hold_threshold {
        Status::Flagged
    } else {
        current
    }
}

/// The endorsement's status after a review; `other_open_holds` says whether another open flag
/// still holds it.
pub fn status_after_review(current: Status, decision: Decision, other_open_holds: bool) -> Status {
    match (decision, current) {
        (_, Status::Revoked) => Status::Revoked,
        (Decision::Uphold, _) => Status::Voided,
        (Decision::Dismiss, Status::Flagged) if !other_open_holds => Status::Active,
        (Decision::Dismiss, s) => s,
    }
}

/// Lockstep (CopyCatch-style): at least `min_endorsers` endorsers who each endorsed at least
/// `min_endorsees` of the same endorsees within `window` (a day by default: the daily budget
/// makes spreading a campaign over the day natural; only groups of thin accounts count, so a
/// long window does not catch audiences).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockstepRule {
    pub min_endorsers: usize,
    pub min_endorsees: usize,
    pub window: Duration,
}

impl Default for LockstepRule {
    fn default() -> Self {
        LockstepRule {
            min_endorsers: 3,
            min_endorsees: 3,
            window: Duration::days(1),
        }
    }
}

/// A flag as served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flag {
    pub id: i64,
    pub endorsement_id: i64,
    /// Handle of who gave the flagged endorsement.
    #[schema(example = "alice")]
    pub endorser: String,
    /// Handle of who received it.
    #[schema(example = "bob")]
    pub endorsee: String,
    /// The endorsement's topic slug.
    #[schema(example = "rust")]
    pub topic: String,
    pub reason: Reason,
    pub score: f64,
    pub status: FlagStatus,
    #[serde(with = "super::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// The name of the key that reviewed it; null while open.
    pub reviewed_by: Option<String>,
    /// When it was reviewed; null while open.
    #[serde(serialize_with = "super::time::serde_micros_opt::serialize", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_and_releases() {
        assert_eq!(status_after_flag(Status::Active, 0.9, 0.5), Status::Flagged);
        assert_eq!(status_after_flag(Status::Active, 0.3, 0.5), Status::Active);
        assert_eq!(status_after_flag(Status::Active, 0.9, 0.95), Status::Active);
        assert_eq!(
            status_after_flag(Status::Revoked, 0.9, 0.5),
            Status::Revoked
        );
        assert_eq!(
            status_after_review(Status::Flagged, Decision::Uphold, false),
            Status::Voided
        );
        assert_eq!(
            status_after_review(Status::Flagged, Decision::Dismiss, false),
            Status::Active
        );
        assert_eq!(
            status_after_review(Status::Flagged, Decision::Dismiss, true),
            Status::Flagged
        );
        assert_eq!(
            status_after_review(Status::Revoked, Decision::Uphold, false),
            Status::Revoked
        );
    }
}
