//! Why the domain refuses a request. Each variant has a stable machine-readable code.

/// A request the rules do not allow, or input that does not parse. Never an internal fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("invalid {field}: {reason}")]
    InvalidHandle { field: &'static str, reason: String },
    #[error("invalid topic: {0}")]
    InvalidTopic(String),
    #[error("note is {0} characters long; at most 500 are allowed")]
    NoteTooLong(usize),
    #[error("a user cannot endorse themselves")]
    SelfEndorsement,
    #[error("{endorser} already endorses {endorsee} on {topic}")]
    DuplicateEndorsement {
        endorser: String,
        endorsee: String,
        topic: String,
    },
    #[error("this endorsement was revoked; the same endorsement can be given again in {retry_after_secs} s (7 days after the original)")]
    TooSoon { retry_after_secs: u64 },
    #[error("{endorser} has used the daily budget of {budget} endorsements; the next one is possible in {retry_after_secs} s")]
    DailyBudgetExhausted {
        endorser: String,
        budget: u32,
        retry_after_secs: u64,
    },
    #[error("the key {key} has reported {limit} solicitations in the last 24 hours, its limit; the next report is possible in {retry_after_secs} s")]
    ReportLimitExhausted {
        key: String,
        limit: u32,
        retry_after_secs: u64,
    },
    #[error("topic {topic} does not exist, and topics are closed on this server: only an admin creates them (PUT /v1/topics/{topic})")]
    UnknownTopic { topic: String },
    #[error("the key {key} has created {limit} new topics in the last 24 hours, its limit; the next new topic is possible in {retry_after_secs} s (existing topics can be used meanwhile)")]
    TopicLimitExhausted {
        key: String,
        limit: u32,
        retry_after_secs: u64,
    },
    #[error("seeds must be users plusk has seen (endorsers, endorsees or reported requesters); unknown: {}", handles.join(", "))]
    UnknownUsers { handles: Vec<String> },
    #[error("the endorsement is already revoked")]
    AlreadyRevoked,
    #[error("a moderator voided this endorsement when upholding a flag: that is final, so it cannot be revoked, and the same endorsement cannot be given again")]
    EndorsementVoided,
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("the score was recomputed since this cursor was made: start again without a cursor")]
    CursorOutdated,
    #[error("invalid role `{0}` (expected app, moderator, analyst or admin)")]
    InvalidRole(String),
    #[error("invalid status `{0}` (expected active, flagged, voided, revoked or all)")]
    InvalidStatus(String),
    #[error("invalid rate: {0}")]
    InvalidRate(String),
    #[error("invalid {field}: {reason}")]
    InvalidText { field: &'static str, reason: String },
    #[error("invalid {field}: {reason}")]
    InvalidTime { field: &'static str, reason: String },
}

impl Rejection {
    /// The stable `code` clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::InvalidHandle { .. } => "invalid_handle",
            Rejection::InvalidTopic(_) => "invalid_topic",
            Rejection::NoteTooLong(_) => "note_too_long",
            Rejection::SelfEndorsement => "self_endorsement",
            Rejection::DuplicateEndorsement { .. } => "duplicate_endorsement",
            Rejection::TooSoon { .. } => "too_soon",
            Rejection::DailyBudgetExhausted { .. } => "daily_budget_exhausted",
            Rejection::ReportLimitExhausted { .. } => "report_limit_exhausted",
            Rejection::UnknownTopic { .. } => "unknown_topic",
            Rejection::TopicLimitExhausted { .. } => "topic_limit_exhausted",
            Rejection::UnknownUsers { .. } => "unknown_users",
            Rejection::AlreadyRevoked => "already_revoked",
            Rejection::EndorsementVoided => "endorsement_voided",
            Rejection::InvalidCursor => "invalid_cursor",
            Rejection::CursorOutdated => "cursor_outdated",
            Rejection::InvalidRole(_) => "invalid_role",
            Rejection::InvalidStatus(_) => "invalid_status",
            Rejection::InvalidTime { .. } => "invalid_timestamp",
            Rejection::InvalidRate(_) => "invalid_rate",
            Rejection::InvalidText { .. } => "invalid_text",
        }
    }
}
