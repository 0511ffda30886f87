//! The patterns the detectors look for, as pure functions over a neighbourhood: trades, cycles,
//! bursts against a user's own baseline, and groups moving in lockstep.

use chrono::Duration;
use serde::Serialize;

use crate::domain::flag::LockstepRule;

/// Reciprocal endorsements closer in time are more likely traded: 1.0 at once, 0.5 at the
/// edge of the window.
pub fn reciprocal_score(gap: Duration, window: Duration) -> f64 {
    let frac = gap.num_seconds().max(0) as f64 / window.num_seconds().max(1) as f64;
    1.0 - 0.5 * frac.min(1.0)
}

/// How far back a ring is looked for.
pub const RING_WINDOW: Duration = Duration::days(30);

/// The shortest path of at most 3 edges from `start` back to `goal` among `edges`
/// (`(id, from, to)`): with the new edge `goal → start` it closes a cycle of 3 or 4.
/// Returns the ids of the path's edges.
pub fn close_cycle(edges: &[(i64, i32, i32)], goal: i32, start: i32) -> Option<Vec<i64>> {
    let out = |node: i32| edges.iter().filter(move |(_, from, _)| *from == node);
    for (id1, _, n1) in out(start) {
        if *n1 == goal || *n1 == start {
            continue;
        }
        for (id2, _, n2) in out(*n1) {
            if *n2 == goal {
                return Some(vec![*id1, *id2]);
            }
        }
    }
    for (id1, _, n1) in out(start) {
        // Through `goal` itself the walk would not be a cycle but two mutual pairs.
        if *n1 == goal || *n1 == start {
            continue;
        }
        for (id2, _, n2) in out(*n1) {
            if [goal, start, *n1].contains(n2) {
                continue;
            }
            for (id3, _, n3) in out(*n2) {
                if *n3 == goal {
                    return Some(vec![*id1, *id2, *id3]);
                }
            }
        }
    }
    None
}

/// How many hours of history the burst baseline uses.
pub const BURST_BASELINE_HOURS: usize = 7 * 24;
/// The shortest baseline used, for users with little history.
pub const BURST_MIN_BASELINE_HOURS: usize = 24;
/// Fewer endorsements than this in an hour are never a burst.
pub const BURST_MIN: u32 = 5;

/// An hour judged against the hours before it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BurstStats {
    pub last_hour: u32,
    pub baseline_median: f64,
    pub baseline_mad: f64,
    /// Above this, the hour is a burst: median + 4 robust standard deviations (at least 1).
    pub upper: f64,
}

/// `counts[0]` is the last hour, `counts[1..]` the hours before. `Some` when the last hour is
/// a burst by robust statistics (median and median absolute deviation, not mean and variance,
/// so one earlier burst does not hide the next).
pub fn burst(counts: &[u32]) -> Option<BurstStats> {
    let (&last, history) = counts.split_first()?;
    if last < BURST_MIN || history.is_empty() {
        return None;
    }
    let median = median(history.iter().map(|c| f64::from(*c)).collect());
    let mad = median_of_deviations(history, median);
    let upper = median + 4.0 * (1.4826 * mad).max(1.0);
    (f64::from(last) > upper).then_some(BurstStats {
        last_hour: last,
        baseline_median: median,
        baseline_mad: mad,
        upper,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn median_of_deviations(history: &[u32], m: f64) -> f64 {
    median(history.iter().map(|c| (f64::from(*c) - m).abs()).collect())
}

/// A group found moving in lockstep with the endorser of a new endorsement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockstepGroup {
    pub endorsers: Vec<i32>,
    pub endorsees: Vec<i32>,
}

/// Looks, among `edges` (`(endorser, endorsee)` within the window), for endorsers sharing at
/// least `min_endorsees` endorsees with `endorser`; a group of `min_endorsers` or more
/// (counting `endorser`) is lockstep.
pub fn lockstep(edges: &[(i32, i32)], endorser: i32, rule: &LockstepRule) -> Option<LockstepGroup> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut by_endorser: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    for (from, to) in edges {
        by_endorser.entry(*from).or_default().insert(*to);
    }
    let mine = by_endorser.get(&endorser)?;
    if mine.len() < rule.min_endorsees {
        return None;
    }
    let mut endorsers = vec![endorser];
    let mut shared: BTreeSet<i32> = BTreeSet::new();
    for (other, theirs) in &by_endorser {
        let common: BTreeSet<i32> = mine.intersection(theirs).copied().collect();
        if *other != endorser && common.len() >= rule.min_endorsees {
            endorsers.push(*other);
            shared.extend(common);
        }
    }
    (endorsers.len() >= rule.min_endorsers).then(|| LockstepGroup {
        endorsers,
        endorsees: shared.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rings_of_three_and_four_only() {
        // a=1 → b=2 → c=3 → a closes a 3-cycle with the new edge 3 → 1.
        let three = [(10, 1, 2), (11, 2, 3)];
        assert_eq!(close_cycle(&three, 3, 1), Some(vec![10, 11]));
        let four = [(10, 1, 2), (11, 2, 3), (12, 3, 4)];
        assert_eq!(close_cycle(&four, 4, 1), Some(vec![10, 11, 12]));
        let five = [(10, 1, 2), (11, 2, 3), (12, 3, 4), (13, 4, 5)];
        assert_eq!(close_cycle(&five, 5, 1), None);
        let chain = [(10, 1, 2), (11, 1, 3)];
        assert_eq!(close_cycle(&chain, 3, 2), None);
        // New edge 1 → 2 with 2 → 1, 1 → 3, 3 → 1 on record: two mutual pairs, no ring.
        let pairs = [(10, 2, 1), (11, 1, 3), (12, 3, 1)];
        assert_eq!(close_cycle(&pairs, 1, 2), None);
    }

    #[test]
    fn lockstep_needs_enough_endorsers_sharing_enough_endorsees() {
        let rule = LockstepRule::default();
        let bots: Vec<(i32, i32)> = [1, 2, 3]
            .iter()
            .flat_map(|b| [10, 11, 12].map(|t| (*b, t)))
            .collect();
        let group = lockstep(&bots, 3, &rule).unwrap();
        assert_eq!(
            (group.endorsers.len(), group.endorsees),
            (3, vec![10, 11, 12])
        );
        let two_shared: Vec<(i32, i32)> = [1, 2, 3]
            .iter()
            .flat_map(|b| [10, 11].map(|t| (*b, t)))
            .collect();
        assert_eq!(lockstep(&two_shared, 3, &rule), None);
        let two_bots: Vec<(i32, i32)> = [1, 2]
            .iter()
            .flat_map(|b| [10, 11, 12].map(|t| (*b, t)))
            .collect();
        assert_eq!(lockstep(&two_bots, 2, &rule), None);
    }

    #[test]
    fn bursts_are_relative_to_the_own_baseline() {
        let quiet = [vec![8], vec![0; 167]].concat();
        assert!(burst(&quiet).is_some());
        let busy = [vec![8], (0..167).map(|i| 6 + (i % 5)).collect()].concat();
        assert!(
            burst(&busy).is_none(),
            "8 in an hour is normal for this user"
        );
        assert!(
            burst(&[vec![4], vec![0; 167]].concat()).is_none(),
            "too few to matter"
        );
    }

    #[test]
    fn closer_trades_score_higher() {
        let window = Duration::hours(72);
        assert!(
            reciprocal_score(Duration::minutes(5), window)
                > reciprocal_score(Duration::hours(70), window)
        );
    }
}
