//! Which flags belong together: the flags of one ring, one trade, one lockstep group, one burst
//! or one reported ask, so a moderator can see the pattern whole and decide it in one action.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::flag::{report_of, Reason};

/// Flags of one burst are those on the same endorsee within this time of each other.
const BURST_SPAN: Duration = Duration::hours(24);

/// A flag as the grouping sees it.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub flag_id: i64,
    pub endorsement_id: i64,
    pub endorser: &'a str,
    pub endorsee: &'a str,
    pub at: DateTime<Utc>,
    pub evidence: &'a Value,
}

/// Whether a flag of this reason stands for a pattern of several endorsements.
pub fn is_pattern(reason: Reason) -> bool {
    reason != Reason::BeggingNote
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether `ids` (an evidence array of endorsement ids) holds `id`.
fn lists(ids: &Value, id: i64) -> bool {
    ids.as_array()
        .is_some_and(|ids| ids.iter().any(|x| x.as_i64() == Some(id)))
}

/// Whether `other` (a flag of the same reason and topic) is part of the same pattern as
/// `anchor`. Every flag belongs with itself.
pub fn belongs(reason: Reason, anchor: &Member<'_>, other: &Member<'_>) -> bool {
    if anchor.flag_id == other.flag_id {
        return true;
    }
    match reason {
        Reason::BeggingNote => false,
        Reason::Ring => lists(
            &anchor.evidence["cycle_endorsement_ids"],
            other.endorsement_id,
        ),
        Reason::Reciprocal => {
            (anchor.endorser, anchor.endorsee) == (other.endorsee, other.endorser)
                || (anchor.endorser, anchor.endorsee) == (other.endorser, other.endorsee)
        }
        Reason::Lockstep => {
            (names(&anchor.evidence["endorsers"]).contains(&other.endorser)
                && names(&anchor.evidence["endorsees"]).contains(&other.endorsee))
                || lists(&anchor.evidence["endorsement_ids"], other.endorsement_id)
        }
        Reason::Burst => {
            anchor.endorsee == other.endorsee && (anchor.at - other.at).abs() <= BURST_SPAN
        }
        Reason::Solicited => {
            let of = |m: &Member<'_>| report_of(Reason::Solicited.as_str(), m.evidence);
            of(anchor).is_some() && of(anchor) == of(other)
        }
    }
}

/// Counts per hour of `times`, over the `hours` hours ending at `end` (oldest first).
pub fn hourly(times: &[DateTime<Utc>], end: DateTime<Utc>, hours: usize) -> Vec<u32> {
    let mut counts = vec![0u32; hours];
    for t in times {
        let ago = (end - *t).num_minutes();
        if ago < 0 {
            continue;
        }
        let bucket = usize::try_from(ago / 60).unwrap_or(usize::MAX);
        if bucket < hours {
            counts[hours - 1 - bucket] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m<'a>(id: i64, e: i64, a: &'a str, b: &'a str, ev: &'a Value) -> Member<'a> {
        Member {
            flag_id: id,
            endorsement_id: e,
            endorser: a,
            endorsee: b,
            at: DateTime::from_timestamp(1_000_000, 0).unwrap(),
            evidence: ev,
        }
    }

    #[test]
    fn groups_follow_the_evidence() {
        let ring = json!({"cycle_endorsement_ids": [3, 4, 5]});
        let none = json!({});
        assert!(belongs(
            Reason::Ring,
            &m(1, 5, "c", "a", &ring),
            &m(2, 3, "a", "b", &none)
        ));
        assert!(!belongs(
            Reason::Ring,
            &m(1, 5, "c", "a", &ring),
            &m(2, 9, "a", "b", &none)
        ));
        assert!(belongs(
            Reason::Reciprocal,
            &m(1, 5, "x", "y", &none),
            &m(2, 4, "y", "x", &none)
        ));
        assert!(!belongs(
            Reason::Reciprocal,
            &m(1, 5, "x", "y", &none),
            &m(2, 4, "y", "z", &none)
        ));
        let lock = json!({"endorsers": ["a", "b"], "endorsees": ["p", "q"]});
        assert!(belongs(
            Reason::Lockstep,
            &m(1, 5, "a", "p", &lock),
            &m(2, 6, "b", "q", &none)
        ));
        assert!(!belongs(
            Reason::Lockstep,
            &m(1, 5, "a", "p", &lock),
            &m(2, 6, "z", "q", &none)
        ));
        // A sweep's case names all its endorsements, those outside the shared set too.
        let swept = json!({"endorsers": ["a"], "endorsees": ["p"], "endorsement_ids": [5, 9]});
        assert!(belongs(
            Reason::Lockstep,
            &m(1, 5, "a", "p", &swept),
            &m(2, 9, "a", "r", &none)
        ));
        assert!(belongs(
            Reason::Burst,
            &m(1, 5, "a", "p", &none),
            &m(2, 6, "b", "p", &none)
        ));
        assert!(!belongs(
            Reason::BeggingNote,
            &m(1, 5, "a", "p", &none),
            &m(2, 6, "a", "p", &none)
        ));
        let s1 = json!({"solicitation_id": 7});
        let s2 = json!({"solicitation_id": 8});
        assert!(belongs(
            Reason::Solicited,
            &m(1, 5, "a", "p", &s1),
            &m(2, 6, "b", "p", &s1)
        ));
        assert!(!belongs(
            Reason::Solicited,
            &m(1, 5, "a", "p", &s1),
            &m(2, 6, "b", "p", &s2)
        ));
    }

    #[test]
    fn hourly_counts_end_at_the_last_hour() {
        let end = DateTime::from_timestamp(100 * 3600, 0).unwrap();
        let times = [
            end - Duration::minutes(5),
            end - Duration::minutes(50),
            end - Duration::minutes(70),
            end - Duration::hours(30),
            end + Duration::minutes(1),
        ];
        assert_eq!(hourly(&times, end, 3), vec![0, 1, 2]);
    }
}
