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

/// The shortest path of 2 to `max_edges` edges from `start` to `goal`, following `out(user)`
/// (its endorsements as `(id, endorsee)`) breadth first, visiting at most `visits` users: with
/// the new edge `goal → start` it closes a cycle of 3 to `max_edges + 1`. Returns the path's
/// edges as `(id, endorsee)`, from `start` on. A direct edge `start → goal` makes a trade, not
/// a ring, and is not followed.
pub fn shortest_path(
    start: i32,
    goal: i32,
    max_edges: usize,
    visits: usize,
    out: impl Fn(i32) -> Vec<(i64, i32)>,
) -> Option<Vec<(i64, i32)>> {
    use std::collections::HashMap;
    // How each user was first reached: (edge id, from whom).
    let mut reached: HashMap<i32, (i64, i32)> = HashMap::new();
    let mut frontier = vec![start];
    for depth in 1..=max_edges {
        let mut next = Vec::new();
        for &user in &frontier {
            for (id, to) in out(user) {
                if to == start || reached.contains_key(&to) || (to == goal && depth < 2) {
                    continue;
                }
                reached.insert(to, (id, user));
                if to == goal {
                    return Some(walk_back(&reached, start, goal));
                }
                if reached.len() >= visits {
                    return None;
                }
                next.push(to);
            }
        }
        frontier = next;
    }
    None
}

fn walk_back(
    reached: &std::collections::HashMap<i32, (i64, i32)>,
    start: i32,
    goal: i32,
) -> Vec<(i64, i32)> {
    let mut path = Vec::new();
    let mut at = goal;
    while at != start {
        let (id, from) = reached[&at];
        path.push((id, at));
        at = from;
    }
    path.reverse();
    path
}

/// How many hours of history the hourly burst baseline uses.
pub const BURST_BASELINE_HOURS: usize = 7 * 24;
/// The shortest hourly baseline used, for users with little history.
pub const BURST_MIN_BASELINE_HOURS: usize = 24;
/// Fewer endorsements than this in an hour are never a burst.
pub const BURST_MIN: u32 = 5;
/// How many days of history the daily burst baseline uses.
pub const BURST_BASELINE_DAYS: usize = 30;
/// The shortest daily baseline used. Days before the user's first endorsement are left out
/// (as hours are, past the first day): someone endorsed steadily since yesterday is not a
/// ramp today.
pub const BURST_MIN_BASELINE_DAYS: usize = 1;
/// Fewer endorsements than this in a day are never a burst.
pub const DAY_BURST_MIN: u32 = 10;

/// A period (hour or day) judged against the periods before it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BurstStats {
    /// Endorsements received in the last period.
    pub count: u32,
    pub baseline_median: f64,
    pub baseline_mad: f64,
    /// Above this, the period is a burst: median + 4 standard deviations, the robust one from
    /// the baseline but never less than counting noise allows (see [`burst`]).
    pub upper: f64,
}

/// `counts[0]` is the last period, `counts[1..]` the ones before. `Some` when the last one has
/// at least `min` and is a burst by robust statistics (median and median absolute deviation,
/// not mean and variance, so one earlier burst does not hide the next).
pub fn burst(counts: &[u32], min: u32) -> Option<BurstStats> {
    let (&last, history) = counts.split_first()?;
    if last < min || history.is_empty() {
        return None;
    }
    let median = median(history.iter().map(|c| f64::from(*c)).collect());
    let mad = median_of_deviations(history, median);
    // Arrivals of independent people vary by at least the square root of their mean (Poisson);
    // a baseline of a few periods, or of periods alike by chance, shows less spread than that,
    // and a busy user's ordinary good day would pass for a burst.
    let spread = (1.4826 * mad).max(median.sqrt()).max(1.0);
    let upper = median + 4.0 * spread;
    (f64::from(last) > upper).then_some(BurstStats {
        count: last,
        baseline_median: median,
        baseline_mad: mad,
        upper,
    })
}

/// Who made a burst, as far as it tells a crowd from a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Arrivals {
    /// Distinct endorsers looked at (the most recent, at most a bounded number).
    pub endorsers: usize,
    /// Of those, accounts that had given fewer than [`THIN_GIVEN`] endorsements in the month
    /// before: new, or hardly active.
    pub thin: usize,
    /// Endorsements those endorsers gave in the last month, live ones…
    pub given: usize,
    /// …and of those, the ones among the endorsers themselves.
    pub links: usize,
}

/// Below this many endorsements given in the month before, an account is thin.
pub const THIN_GIVEN: usize = 3;

impl Arrivals {
    /// A crowd is people with lives of their own; a campaign is mostly fresh accounts, or
    /// accounts that give most of what they give to each other. (Active people in one
    /// community endorse each other now and then; chance links are a small share.)
    pub fn corroborate(&self) -> bool {
        self.endorsers > 0
            && (2 * self.thin >= self.endorsers
                || (self.links >= 2 && 2 * self.links >= self.given))
    }
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
/// (counting `endorser`) is lockstep, and so are two sharing two more than `min_endorsees`.
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
    // Two accounts are a group too when they share many endorsees.
    let pair = endorsers.len() >= 2 && shared.len() >= rule.min_endorsees + 2;
    (endorsers.len() >= rule.min_endorsers || pair).then(|| LockstepGroup {
        endorsers,
        endorsees: shared.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path closing a cycle with the new edge `goal → start`, as edge ids.
    fn ring_of(edges: &[(i64, i32, i32)], goal: i32, start: i32) -> Option<Vec<i64>> {
        let out = |u: i32| {
            edges
                .iter()
                .filter(|(_, from, _)| *from == u)
                .map(|(id, _, to)| (*id, *to))
                .collect()
        };
        shortest_path(start, goal, 5, 256, out).map(|p| p.iter().map(|(id, _)| *id).collect())
    }

    #[test]
    fn finds_rings_of_three_to_six_only() {
        // a=1 → b=2 → c=3 → a closes a 3-cycle with the new edge 3 → 1.
        let three = [(10, 1, 2), (11, 2, 3)];
        assert_eq!(ring_of(&three, 3, 1), Some(vec![10, 11]));
        let six: Vec<(i64, i32, i32)> = (1..=5).map(|i| (9 + i as i64, i, i + 1)).collect();
        assert_eq!(ring_of(&six, 6, 1), Some(vec![10, 11, 12, 13, 14]));
        let seven: Vec<(i64, i32, i32)> = (1..=6).map(|i| (9 + i as i64, i, i + 1)).collect();
        assert_eq!(ring_of(&seven, 7, 1), None);
        // The shortest cycle is reported when there are several.
        let both = [(10, 1, 2), (11, 2, 4), (12, 1, 3), (13, 3, 5), (14, 5, 4)];
        assert_eq!(ring_of(&both, 4, 1), Some(vec![10, 11]));
        let chain = [(10, 1, 2), (11, 1, 3)];
        assert_eq!(ring_of(&chain, 3, 2), None);
        // New edge 1 → 2 with 2 → 1, 1 → 3, 3 → 1 on record: two mutual pairs, no ring.
        let pairs = [(10, 2, 1), (11, 1, 3), (12, 3, 1)];
        assert_eq!(ring_of(&pairs, 1, 2), None);
        // The search gives up past its budget of users rather than walk a whole graph.
        let wide: Vec<(i64, i32, i32)> = (0..300)
            .map(|i| (i as i64, 1, 100 + i))
            .chain([(999, 399, 2)])
            .collect();
        assert_eq!(
            shortest_path(1, 2, 5, 256, |u| wide
                .iter()
                .filter(|e| e.1 == u)
                .map(|e| (e.0, e.2))
                .collect()),
            None
        );
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
        let two_by_five: Vec<(i32, i32)> = [1, 2]
            .iter()
            .flat_map(|b| [10, 11, 12, 13, 14].map(|t| (*b, t)))
            .collect();
        assert_eq!(
            lockstep(&two_by_five, 2, &rule).map(|g| g.endorsers),
            Some(vec![2, 1])
        );
    }

    #[test]
    fn bursts_are_relative_to_the_own_baseline() {
        let quiet = [vec![8], vec![0; 167]].concat();
        assert!(burst(&quiet, BURST_MIN).is_some());
        let busy = [vec![8], (0..167).map(|i| 6 + (i % 5)).collect()].concat();
        assert!(
            burst(&busy, BURST_MIN).is_none(),
            "8 in an hour is normal for this user"
        );
        assert!(
            burst(&[vec![4], vec![0; 167]].concat(), BURST_MIN).is_none(),
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
