//! The rules an endorsement must pass, judged on facts the caller read inside its transaction.

use chrono::{DateTime, Duration, Utc};

use super::endorsement::{NewEndorsement, Status};
use super::Rejection;

/// A revoked triple may be endorsed again only this long after the original.
pub const REENDORSE_AFTER: Duration = Duration::days(7);
/// The daily budget counts endorsements over a rolling window of this length.
pub const BUDGET_WINDOW: Duration = Duration::hours(24);

/// What the database knows about the same (endorser, endorsee, topic) triple.
#[derive(Debug, Clone, Copy, Default)]
pub struct TripleHistory {
    /// A live (not revoked) endorsement of the triple exists.
    pub live: bool,
    /// When the most recent endorsement of the triple was created, if any.
    pub last_created_at: Option<DateTime<Utc>>,
}

/// The endorser's use of the daily budget in the window ending now.
#[derive(Debug, Clone, Copy, Default)]
pub struct BudgetUse {
    /// Endorsements allowed per window; `None` lifts the budget (back-fills).
    pub limit: Option<u32>,
    /// Endorsements given in the window.
    pub used: u32,
    /// The oldest of those, which is the next to leave the window.
    pub oldest: Option<DateTime<Utc>>,
}

/// A key may report at most its limit of solicitations per rolling 24 hours (`reports` counts
/// them as a budget counts endorsements): a report can hold other apps' endorsements, so one
/// key cannot flood the queue with them.
pub fn check_report(key: &str, reports: BudgetUse, now: DateTime<Utc>) -> Result<(), Rejection> {
    match reports.limit {
        Some(limit) if reports.used >= limit => {
            let frees_at = reports.oldest.unwrap_or(now) + BUDGET_WINDOW;
            Err(Rejection::ReportLimitExhausted {
                key: key.to_string(),
                limit,
                retry_after_secs: seconds_until(now, frees_at),
            })
        }
        _ => Ok(()),
    }
}

/// Who may bring a topic into being by using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicPolicy {
    /// Open: any key with write rights creates a topic by using it. Closed: only an admin does
    /// (with `PUT /v1/topics/{slug}`, or by using it); other keys get `unknown_topic`.
    pub open: bool,
    /// When open, new topics one non-admin key may create per rolling 24 hours; `None` lifts it.
    /// Every topic costs a full recompute something, so one key cannot make thousands.
    pub per_key: Option<u32>,
}

/// The default of [`TopicPolicy::per_key`].
pub const DEFAULT_NEW_TOPICS_PER_KEY: u32 = 100;

impl Default for TopicPolicy {
    fn default() -> TopicPolicy {
        TopicPolicy {
            open: true,
            per_key: Some(DEFAULT_NEW_TOPICS_PER_KEY),
        }
    }
}

/// Decides whether the key `key` (an admin or not) may create the topic `topic` at `now`,
/// having created `created` new topics in the last 24 hours.
pub fn check_new_topic(
    policy: &TopicPolicy,
    topic: &str,
    key: &str,
    admin: bool,
    created: BudgetUse,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    if admin {
        return Ok(());
    }
    if !policy.open {
        return Err(Rejection::UnknownTopic {
            topic: topic.to_string(),
        });
    }
    match policy.per_key {
        Some(limit) if created.used >= limit => {
            let frees_at = created.oldest.unwrap_or(now) + BUDGET_WINDOW;
            Err(Rejection::TopicLimitExhausted {
                key: key.to_string(),
                limit,
                retry_after_secs: seconds_until(now, frees_at),
            })
        }
        _ => Ok(()),
    }
}

/// Decides whether `req` may be recorded at `now`. Checks run in a fixed order so the error a
/// client gets is predictable: self, duplicate, too soon, budget.
pub fn check_new(
    req: &NewEndorsement,
    triple: TripleHistory,
    budget: BudgetUse,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    if req.endorser == req.endorsee {
        return Err(Rejection::SelfEndorsement);
    }
    if triple.live {
        return Err(Rejection::DuplicateEndorsement {
            endorser: req.endorser.to_string(),
            endorsee: req.endorsee.to_string(),
            topic: req.topic.to_string(),
        });
    }
    if let Some(last) = triple.last_created_at {
        let allowed_at = last + REENDORSE_AFTER;
        if now < allowed_at {
            return Err(Rejection::TooSoon {
                retry_after_secs: seconds_until(now, allowed_at),
            });
        }
    }
    if let Some(limit) = budget.limit {
        if budget.used >= limit {
            let frees_at = budget.oldest.unwrap_or(now) + BUDGET_WINDOW;
            return Err(Rejection::DailyBudgetExhausted {
                endorser: req.endorser.to_string(),
                budget: limit,
                retry_after_secs: seconds_until(now, frees_at),
            });
        }
    }
    Ok(())
}

/// Decides whether an endorsement in `status` may be revoked. Voided is final: an app that could
/// revoke what a moderator voided would give the same endorsement again, clean, once the cooldown
/// passed. A voided endorsement stays live, so the triple stays taken for good.
pub fn check_revoke(status: Status) -> Result<(), Rejection> {
    match status {
        Status::Revoked => Err(Rejection::AlreadyRevoked),
        Status::Voided => Err(Rejection::EndorsementVoided),
        Status::Active | Status::Flagged => Ok(()),
    }
}

/// Whole seconds from `now` until `then`, rounded up, at least 1 (a valid `Retry-After`).
pub fn seconds_until(now: DateTime<Utc>, then: DateTime<Utc>) -> u64 {
    let micros = (then - now).num_microseconds().unwrap_or(i64::MAX).max(0);
    let secs = (micros as u64).div_ceil(1_000_000);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time;

    fn req(a: &str, b: &str) -> NewEndorsement {
        NewEndorsement::parse(a, b, "topic", None).unwrap()
    }

    fn budget(limit: u32, used: u32, oldest: Option<DateTime<Utc>>) -> BudgetUse {
        BudgetUse {
            limit: Some(limit),
            used,
            oldest,
        }
    }

    #[test]
    fn order_of_checks() {
        let now = time::now();
        let live = TripleHistory {
            live: true,
            last_created_at: Some(now),
        };
        assert_eq!(
            check_new(&req("a", "A"), live, budget(0, 9, None), now),
            Err(Rejection::SelfEndorsement)
        );
        assert_eq!(
            check_new(&req("a", "b"), live, budget(0, 9, None), now)
                .unwrap_err()
                .code(),
            "duplicate_endorsement"
        );
    }

    #[test]
    fn too_soon_until_seven_days_after_original() {
        let now = time::now();
        let revoked = |age: Duration| TripleHistory {
            live: false,
            last_created_at: Some(now - age),
        };
        let free = budget(5, 0, None);
        assert_eq!(
            check_new(&req("a", "b"), revoked(Duration::days(6)), free, now),
            Err(Rejection::TooSoon {
                retry_after_secs: 86_400
            })
        );
        assert!(check_new(&req("a", "b"), revoked(Duration::days(7)), free, now).is_ok());
    }

    #[test]
    fn budget_retry_after_is_when_the_oldest_leaves() {
        let now = time::now();
        let oldest = now - Duration::hours(23);
        let err = check_new(
            &req("a", "b"),
            TripleHistory::default(),
            budget(5, 5, Some(oldest)),
            now,
        );
        assert!(matches!(
            err,
            Err(Rejection::DailyBudgetExhausted {
                retry_after_secs: 3600,
                ..
            })
        ));
        let lifted = BudgetUse {
            limit: None,
            used: 1000,
            oldest: None,
        };
        assert!(check_new(&req("a", "b"), TripleHistory::default(), lifted, now).is_ok());
        assert!(check_new(
            &req("a", "b"),
            TripleHistory::default(),
            budget(5, 4, Some(oldest)),
            now
        )
        .is_ok());
    }
}
