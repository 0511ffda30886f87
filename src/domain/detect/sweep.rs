//! The periodic sweep: the group detectors again, over every endorsement of the last weeks, at
//! scales one write cannot afford (cycles over six weeks rather than a month, visiting more
//! users; accounts moving together over three days, judged with hindsight), so groups spread
//! too thin or too slow for the write-time checks are found whole.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::patterns::RING_WINDOW;
use super::{burst, lockstep, ring, Fresh, RingSearch};
use crate::domain::flag::{Detection, Finding, LockstepRule, Reason};
use crate::domain::model::Model;

/// How far back a sweep judges endorsements.
pub const WINDOW: Duration = Duration::weeks(6);

/// Rings a sweep looks for: over the whole window, visiting more users than a write may. Up to
/// 6 long, as at write time: on a random graph of 1M endorsements in six weeks, cycles of 7
/// and 8 among people with little support were most of what a search to 8 found (1,666 of
/// 1,879 flags), chance rather than rings.
pub const RING: RingSearch = RingSearch {
    window: WINDOW,
    max_len: 6,
    visits: 1024,
};

/// How long accounts moving together may take: a pair spread over a day and more (the daily
/// budget makes a slow campaign natural) is still one group.
pub const LOCKSTEP_WINDOW: Duration = Duration::days(3);

/// How far before the first endorsement it judges a sweep's model must reach: the month that
/// thinness and standing look back on, before the lockstep window.
pub fn lookback() -> Duration {
    WINDOW + LOCKSTEP_WINDOW + RING_WINDOW + Duration::hours(1)
}

/// An endorsement the sweep judges, by ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub id: i64,
    pub endorser: i32,
    pub endorsee: i32,
    pub topic: i32,
    pub at: DateTime<Utc>,
}

/// A group found: the endorsement that completed it, and the finding (whose `group` holds the
/// group's other endorsements).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub endorsement_id: i64,
    pub finding: Finding,
}

impl Edge {
    /// The edge as the detectors see a new endorsement (no note, no name: the sweep runs only
    /// the group checks).
    pub fn fresh(&self) -> Fresh<'static> {
        Fresh {
            id: self.id,
            endorser: self.endorser,
            endorsee: self.endorsee,
            endorsee_name: "",
            topic: self.topic,
            at: self.at,
            note: None,
        }
    }
}

impl Case {
    /// Every endorsement of the group, the one that completed it first.
    pub fn endorsements(&self) -> impl Iterator<Item = i64> + '_ {
        std::iter::once(self.endorsement_id).chain(self.finding.group.iter().copied())
    }
}

/// Judges `edges` (live endorsements, oldest first) against `m` (every endorsement from
/// [`lookback`] before the first of them): each ring or lockstep group the wider searches find,
/// once. A ring or lockstep group found again from a later edge is reported again only if
/// that edge is new to it (the group grew); a burst's later findings join its case.
pub fn sweep(m: &Model, edges: &[Edge], d: &Detection) -> Vec<Case> {
    let end = edges.iter().map(|e| e.at).max();
    // Members are judged with hindsight (see [`lockstep`]): two accounts that gave nothing but
    // endorsements of the same people are a group, where at write time it takes more.
    let rule = LockstepRule {
        window: LOCKSTEP_WINDOW.max(d.lockstep.window),
        min_endorsers: 2,
        ..d.lockstep
    };
    // Which case each (reason, endorsement) already belongs to.
    let mut covered: HashMap<(Reason, i64), usize> = HashMap::new();
    let mut cases = Vec::new();
    for e in edges {
        let fresh = e.fresh();
        let found = [
            ring(m, &fresh, &RING),
            lockstep(m, &fresh, &rule, end),
            burst(m, &fresh, end),
        ];
        for mut finding in found.into_iter().flatten() {
            let reason = finding.reason;
            let owner = covered.get(&(reason, e.id)).copied().or_else(|| {
                // One burst is seen from each of its endorsements: their days overlap, and
                // together they are one case.
                (reason == Reason::Burst)
                    .then(|| {
                        finding
                            .group
                            .iter()
                            .find_map(|id| covered.get(&(reason, *id)))
                    })
                    .flatten()
                    .copied()
            });
            match owner {
                Some(at) if reason == Reason::Burst => {
                    let case: &mut Case = &mut cases[at];
                    for id in std::iter::once(e.id).chain(finding.group) {
                        if covered.insert((reason, id), at).is_none() {
                            case.finding.group.push(id);
                        }
                    }
                }
                Some(_) => {}
                None => {
                    let at = cases.len();
                    covered.insert((reason, e.id), at);
                    for id in &finding.group {
                        covered.entry((reason, *id)).or_insert(at);
                    }
                    finding.evidence["sweep"] = json!({
                        "window_days": WINDOW.num_days(),
                        "lockstep_window_hours": rule.window.num_hours(),
                    });
                    cases.push(Case {
                        endorsement_id: e.id,
                        finding,
                    });
                }
            }
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::Event;

    const TOPIC: i32 = 1;

    struct History {
        m: Model,
        edges: Vec<Edge>,
        next: i64,
        start: DateTime<Utc>,
    }

    impl History {
        fn new() -> History {
            History {
                m: Model::new(lookback()),
                edges: Vec::new(),
                next: 1,
                start: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            }
        }

        /// `a` endorses `b` in the topic `hours` after the start; returns the endorsement's id.
        fn endorse(&mut self, a: i32, b: i32, hours: i64) -> i64 {
            let (id, at) = (self.next, self.start + Duration::hours(hours));
            self.next += 1;
            self.m.apply(Event::Created {
                id,
                triple: (a, b, TOPIC),
                at,
            });
            self.edges.push(Edge {
                id,
                endorser: a,
                endorsee: b,
                topic: TOPIC,
                at,
            });
            id
        }

        fn sweep(&mut self) -> Vec<Case> {
            self.edges.sort_by_key(|e| (e.at, e.id));
            sweep(&self.m, &self.edges, &Detection::default())
        }
    }

    fn flagged(cases: &[Case], reason: Reason) -> Vec<i64> {
        let mut ids: Vec<i64> = cases
            .iter()
            .filter(|c| c.finding.reason == reason)
            .flat_map(Case::endorsements)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    #[test]
    fn a_ring_of_six_over_forty_days_is_found_whole() {
        let mut h = History::new();
        let ring: Vec<i64> = (0..6)
            .map(|i| h.endorse(100 + i, 100 + (i + 1) % 6, i64::from(i) * 24 * 8 + 1))
            .collect();
        // Too slow for the write-time search, which looks back a month.
        assert!(super::ring(&h.m, &h.edges[5].fresh(), &RingSearch::WRITE).is_none());
        let cases = h.sweep();
        assert_eq!(flagged(&cases, Reason::Ring), ring);
        assert_eq!(cases.len(), 1, "one case for the whole ring: {cases:?}");
        assert!(cases[0].finding.evidence["sweep"].is_object());
    }

    /// A 3-cycle scores by how many members others endorse in the topic: none or one of
    /// three, a ring (held); two, a weak finding (flagged, not held); all three, nothing.
    #[test]
    fn a_cycle_scores_by_its_members_outside_support() {
        let score = |supported: i32| {
            let mut h = History::new();
            for member in 0..supported {
                for fan in 0..3 {
                    h.endorse(1000 + member * 10 + fan, 100 + member, 1);
                }
            }
            h.endorse(100, 101, 2);
            h.endorse(101, 102, 3);
            h.endorse(102, 100, 4);
            let last = h.edges.last().unwrap().fresh();
            super::ring(&h.m, &last, &RingSearch::WRITE).map(|f| f.score)
        };
        assert_eq!(score(0), Some(0.9));
        assert_eq!(score(1), Some(0.9));
        assert_eq!(score(2), Some(super::super::WEAK_RING));
        assert_eq!(score(3), None);
    }

    #[test]
    fn two_fresh_accounts_on_six_people_over_26_hours_are_one_group() {
        let mut h = History::new();
        let mut pair = Vec::new();
        for (k, target) in (200..206).enumerate() {
            let k = k as i64;
            pair.push(h.endorse(1, target, 5 * k));
            pair.push(h.endorse(2, target, 5 * k + 1));
        }
        pair.sort_unstable();
        assert_eq!(flagged(&h.sweep(), Reason::Lockstep), pair);
    }

    #[test]
    fn people_with_lives_of_their_own_are_not_a_group() {
        let mut h = History::new();
        // Sixty fans, each active elsewhere first (five endorsements in their first days)...
        for fan in 100..160 {
            for k in 0..5 {
                h.endorse(fan, 1000 + fan * 5 + k, i64::from(k) * 24);
            }
        }
        // ...then, from day 20, endorsing ten experts, one a day, fans alike in step...
        for day in 0..10 {
            for fan in 100..160 {
                h.endorse(fan, (fan + day) % 10, i64::from(20 + day) * 24 + 9);
            }
        }
        // ...and the experts endorsing each other round a cycle over the next days.
        for i in 0..10 {
            h.endorse(i, (i + 1) % 10, i64::from(31 + i) * 24);
        }
        let cases = h.sweep();
        let evidence: Vec<_> = cases.iter().map(|c| &c.finding.evidence).collect();
        assert!(cases.is_empty(), "{evidence:#?}");
    }

    fn write_time_lockstep(h: &History) -> Option<Finding> {
        let last = h.edges.last().unwrap().fresh();
        lockstep(&h.m, &last, &LockstepRule::default(), None)
    }

    #[test]
    fn new_hires_endorsing_known_mentors_are_not_a_sockpuppet_group() {
        let mut h = History::new();
        for s in 300..310 {
            for k in 0..5 {
                h.endorse(s, 2000 + s * 5 + k, i64::from(k) * 24);
            }
            for mentor in 50..53 {
                h.endorse(s, mentor, 10 * 24 + i64::from(s - 300));
            }
        }
        // Three new hires endorse the team's three mentors in one meeting.
        for hire in 60..63 {
            for mentor in 50..53 {
                h.endorse(hire, mentor, 20 * 24);
            }
        }
        assert_eq!(write_time_lockstep(&h), None);
        // Three fresh accounts doing the same for three people nobody else endorses.
        for bot in 80..83 {
            for target in 70..73 {
                h.endorse(bot, target, 20 * 24 + 1);
            }
        }
        let f = write_time_lockstep(&h).expect("a sockpuppet group");
        assert_eq!(
            (f.group.len(), &f.evidence["endorsees_with_standing"]),
            (8, &json!(0))
        );
    }

    #[test]
    fn a_pair_the_budget_thinned_is_still_one_group() {
        let mut h = History::new();
        // Two fresh accounts, nothing else to their names, each on five of six people over 26
        // hours: the budget let through different fives, so they share four.
        let mut pair = Vec::new();
        for (k, target) in (200..206).enumerate() {
            let k = k as i64;
            if target != 205 {
                pair.push(h.endorse(1, target, 5 * k));
            }
            if target != 200 {
                pair.push(h.endorse(2, target, 5 * k + 1));
            }
        }
        pair.sort_unstable();
        assert_eq!(flagged(&h.sweep(), Reason::Lockstep), pair);
    }

    #[test]
    fn a_ramp_of_single_use_accounts_is_flagged_from_its_first_endorsement() {
        let mut h = History::new();
        // Thirty days of a quiet user endorsed now and then by people with lives of their own.
        for day in 0..30 {
            let fan = 300 + day;
            for k in 0..4 {
                h.endorse(fan, 1000 + fan * 4 + k, i64::from(day) * 24 + i64::from(k));
            }
            h.endorse(fan, 50, i64::from(day) * 24 + 12);
        }
        // Then four an hour for ten hours, each from an account that never gives again.
        let ramp: Vec<i64> = (0..40)
            .map(|i| h.endorse(5000 + i, 50, 31 * 24 + i64::from(i) / 4))
            .collect();
        let cases = h.sweep();
        assert_eq!(flagged(&cases, Reason::Burst), ramp);
        let bursts = cases.iter().filter(|c| c.finding.reason == Reason::Burst);
        assert_eq!(bursts.count(), 1, "one case for the whole ramp");
    }
}
