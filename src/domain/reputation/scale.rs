//! From raw scores to what people read: a 0–100 score, a rank and a percentile.

use rayon::prelude::*;

/// Where one user stands in their topic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// 0–100 to two decimals, see `display_score`.
    pub score: f64,
    /// 1 for the highest raw score; equal scores share a rank (1, 2, 2, 4).
    pub rank: u32,
    /// Share of the topic's users whose raw score is at most this user's, in percent, to one
    /// decimal: the top user is at 100, the bottom one of n at 100/n.
    pub percentile: f64,
}

/// The display score: `100 · ln(1 + n·raw) / ln(1 + n·max)`. `n·raw` is the score relative to an
/// average user (1 = average), the logarithm keeps the long tail readable, and the top user of a
/// topic scores 100. Monotonic in `raw` within a topic. Rounded to two decimals: it is read by
/// people (`raw` keeps the exact value), and 99.99999999999999 says nothing 100.00 does not.
pub fn display_score(raw: f64, n: usize, max_raw: f64) -> f64 {
    let top = (1.0 + n as f64 * max_raw).ln();
    if top <= 0.0 {
        return 0.0;
    }
    round_to(100.0 * (1.0 + n as f64 * raw).ln() / top, 100.0).clamp(0.0, 100.0)
}

/// `x` rounded to `1/per_unit` (100.0: two decimals).
fn round_to(x: f64, per_unit: f64) -> f64 {
    (x * per_unit).round() / per_unit
}

/// Raw scores within this relative distance are ties: equal scores reached by different
/// summation orders differ in their last bits.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// An integer that sorts as `f64::total_cmp` sorts the float.
fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// The standing of every user, by compact id.
pub fn standings(raw: &[f64]) -> Vec<Standing> {
    let n = raw.len();
    let max = raw.iter().copied().fold(0.0, f64::max);
    // Sorted as (key, index) pairs on every core: a large topic has most of a million users,
    // and comparing through the index reads `raw` all over.
    let mut keyed: Vec<(std::cmp::Reverse<i64>, usize)> = raw
        .iter()
        .enumerate()
        .map(|(i, x)| (std::cmp::Reverse(total_order_key(*x)), i))
        .collect();
    keyed.par_sort_unstable();
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let mut out = vec![
        Standing {
            score: 0.0,
            rank: 0,
            percentile: 0.0
        };
        n
    ];
    let mut rank = 1;
    for (i, v) in order.iter().enumerate() {
        if i > 0 && !same(raw[order[i - 1]], raw[*v]) {
            rank = i as u32 + 1;
        }
        out[*v].rank = rank;
        out[*v].score = display_score(raw[*v], n, max);
    }
    // Percentile: users at or below, counted from the bottom of the same order; ties share
    // the highest count of their group.
    let mut at_or_below = n;
    for i in 0..n {
        let v = order[i];
        if i > 0 && !same(raw[order[i - 1]], raw[v]) {
            at_or_below = n - i;
        }
        out[v].percentile = round_to(100.0 * at_or_below as f64 / n as f64, 10.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_scores_are_monotonic() {
        let s = standings(&[0.1, 0.4, 0.1, 0.4 + 1e-17, 0.0]);
        let ranks: Vec<u32> = s.iter().map(|x| x.rank).collect();
        assert_eq!(ranks, vec![3, 1, 3, 1, 5]);
        let pct: Vec<f64> = s.iter().map(|x| x.percentile).collect();
        assert_eq!(pct, vec![60.0, 100.0, 60.0, 100.0, 20.0]);
        assert_eq!(s[1].score, 100.0);
        assert_eq!(s[4].score, 0.0);
        assert!(s[0].score > 0.0 && s[0].score < 100.0);
    }

    #[test]
    fn the_top_is_at_the_100th_percentile_and_scores_are_rounded() {
        let s = standings(&[0.5, 0.3, 0.2]);
        let pct: Vec<f64> = s.iter().map(|x| x.percentile).collect();
        assert_eq!(pct, vec![100.0, 66.7, 33.3]);
        for x in &s {
            assert_eq!(x.score, (x.score * 100.0).round() / 100.0, "{x:?}");
        }
        assert_eq!(standings(&[1.0])[0].percentile, 100.0);
    }
}
