//! A reported solicitation: what a client app saw a user post or send, validated.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::Verdict;
use crate::domain::handle::Handle;
use crate::domain::topic::TopicSlug;
use crate::domain::Rejection;

/// Longest text stored.
pub const MAX_TEXT: usize = 5_000;
/// Longest channel name ("twitter-dm", "forum", …).
pub const MAX_CHANNEL: usize = 64;
/// How far in the future `observed_at` may be: client clocks drift.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A validated report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSolicitation {
    pub requester: Handle,
    /// `None`: a broadcast to everyone.
    pub target: Option<Handle>,
    pub topic: Option<TopicSlug>,
    pub text: String,
    pub channel: Option<String>,
    pub observed_at: Option<DateTime<Utc>>,
}

impl NewSolicitation {
    pub fn parse(
        requester: &str,
        target: Option<&str>,
        topic: Option<&str>,
        text: String,
        channel: Option<String>,
        observed_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<NewSolicitation, Rejection> {
        let requester = Handle::parse("requester", requester)?;
        let target = target.map(|t| Handle::parse("target", t)).transpose()?;
        let topic = topic.map(TopicSlug::parse).transpose()?;
        let chars = text.chars().count();
        if text.trim().is_empty() || chars > MAX_TEXT {
            return Err(Rejection::InvalidText {
                field: "text",
                reason: format!("must be 1 to {MAX_TEXT} characters, not blank"),
            });
        }
        crate::domain::text::check("text", &text)?;
        if let Some(c) = &channel {
            if c.is_empty() || c.chars().count() > MAX_CHANNEL || c.chars().any(char::is_control) {
                return Err(Rejection::InvalidText {
                    field: "channel",
                    reason: format!("must be 1 to {MAX_CHANNEL} printable characters"),
                });
            }
        }
        if observed_at.is_some_and(|t| t > now + CLOCK_SKEW) {
            return Err(Rejection::InvalidTime {
                field: "observed_at",
                reason: "is in the future".into(),
            });
        }
        Ok(NewSolicitation {
            requester,
            target,
            topic,
            text,
            channel,
            observed_at,
        })
    }
}

impl NewSolicitation {
    /// Refuses an ask observed more than `window` (the flag window) before `now`. An ask that old
    /// can prompt nothing any more, and a backdated report would otherwise hold every
    /// endorsement its requester received since, whichever app recorded them.
    pub fn check_window(&self, now: DateTime<Utc>, window: Duration) -> Result<(), Rejection> {
        match self.observed_at {
            Some(t) if t < now - window => Err(Rejection::InvalidTime {
                field: "observed_at",
                reason: format!(
                    "is more than {} h ago (the flag window): report asks when they are seen",
                    window.num_hours()
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// A recorded solicitation, as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Solicitation {
    pub id: i64,
    pub requester: String,
    /// Null for a broadcast.
    pub target: Option<String>,
    pub topic: Option<String>,
    pub text: String,
    pub channel: Option<String>,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub observed_at: DateTime<Utc>,
    pub begging: bool,
    pub score: f64,
    pub cues: Vec<String>,
    pub language: String,
    pub ledger_seq: i64,
}

impl Solicitation {
    /// Joins a report with the classifier's verdict on its text.
    pub fn from_parts(
        id: i64,
        req: &NewSolicitation,
        observed_at: DateTime<Utc>,
        v: Verdict,
        ledger_seq: i64,
    ) -> Solicitation {
        Solicitation {
            id,
            requester: req.requester.to_string(),
            target: req.target.as_ref().map(ToString::to_string),
            topic: req.topic.as_ref().map(ToString::to_string),
            text: req.text.clone(),
            channel: req.channel.clone(),
            observed_at,
            begging: v.begging,
            score: v.score,
            cues: v.cues,
            language: v.language,
            ledger_seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ask_older_than_the_window_is_refused() {
        let now = crate::domain::time::now();
        let window = Duration::hours(72);
        let at = |hours: i64| {
            NewSolicitation::parse(
                "c",
                None,
                None,
                "please +K me".into(),
                None,
                Some(now - Duration::hours(hours)),
                now,
            )
            .unwrap()
        };
        assert!(at(71).check_window(now, window).is_ok());
        assert_eq!(
            at(73).check_window(now, window).unwrap_err().code(),
            "invalid_timestamp"
        );
    }

    #[test]
    fn validates_fields() {
        let now = crate::domain::time::now();
        let ok = NewSolicitation::parse(
            "Carol",
            None,
            Some("Writing"),
            "please +K me".into(),
            None,
            None,
            now,
        )
        .unwrap();
        assert_eq!(
            (ok.requester.as_str(), ok.topic.unwrap().as_str()),
            ("carol", "writing")
        );
        let code = |r: Result<NewSolicitation, Rejection>| r.unwrap_err().code();
        assert_eq!(
            code(NewSolicitation::parse(
                "c",
                None,
                None,
                " ".into(),
                None,
                None,
                now
            )),
            "invalid_text"
        );
        assert_eq!(
            code(NewSolicitation::parse(
                "c",
                None,
                None,
                "x".repeat(5001),
                None,
                None,
                now
            )),
            "invalid_text"
        );
        assert_eq!(
            code(NewSolicitation::parse(
                "c",
                Some("a b"),
                None,
                "x".into(),
                None,
                None,
                now
            )),
            "invalid_handle"
        );
        assert_eq!(
            code(NewSolicitation::parse(
                "c",
                None,
                None,
                "x".into(),
                Some("\n".into()),
                None,
                now
            )),
            "invalid_text"
        );
        let later = Some(now + Duration::hours(1));
        assert_eq!(
            code(NewSolicitation::parse(
                "c",
                None,
                None,
                "x".into(),
                None,
                later,
                now
            )),
            "invalid_timestamp"
        );
    }
}
