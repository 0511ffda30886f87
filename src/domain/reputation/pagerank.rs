//! The power iteration. Each step pulls, for every user, the scores of their endorsers divided by
//! what those endorsers give in total: reads are sequential per endorsee, each score is written
//! once, and big topics split the users across cores.

use rayon::prelude::*;

use super::{Params, TopicGraph};

/// Users per parallel chunk; small topics run on one core.
const CHUNK: usize = 16 * 1024;

/// Scores by compact id (they sum to 1), and how the iteration went.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub raw: Vec<f64>,
    pub iterations: u32,
    pub converged: bool,
}

/// Personalised PageRank of `g`: `x = d·(xᵀP + D·p) + (1 − d)·p`, where `P` shares each
/// endorser's full weight among their endorsees (a held endorsement passes on only its
/// discounted part), `D` is the score not passed on (all of it for users who endorse nobody, as
/// in networkx, and the held part of the others'), and `p` is the teleport distribution.
pub fn rank(g: &TopicGraph, params: &Params) -> Ranked {
    rank_from(g, params, None)
}

/// [`rank`] from `start` (by compact id; any non-negative scores, rescaled to sum to 1)
/// rather than from the teleport distribution: from last run's scores, a topic that changed a
/// little converges in fewer steps to the same fixed point. A start of the wrong length or with
/// nothing in it is ignored.
pub fn rank_from(g: &TopicGraph, params: &Params, start: Option<&[f64]>) -> Ranked {
    let n = g.len();
    if n == 0 {
        return Ranked {
            raw: Vec::new(),
            iterations: 0,
            converged: true,
        };
    }
    let d = params.damping;
    let p = g.teleport();
    let inv_out: Vec<f64> = g
        .out_weight
        .iter()
        .map(|w| if *w > 0.0 { 1.0 / w } else { 0.0 })
        .collect();
    let mut x = start
        .and_then(|s| normalised(s, n))
        .unwrap_or_else(|| p.clone());
    // What each user passes to each endorsee per unit of weight, and what they do not pass on
    // (it goes where teleports go). Each step makes the next step's, in the same pass as the
    // scores, so no pass over every user runs on one core between steps.
    let mut share: Vec<f64> = x.iter().zip(&inv_out).map(|(x, i)| x * i).collect();
    let mut dangling: f64 = x.iter().zip(&g.passed).map(|(x, p)| x * (1.0 - p)).sum();
    let mut next = vec![0.0; n];
    let mut next_share = vec![0.0; n];
    for iteration in 1..=params.max_iterations {
        let base = d * dangling + (1.0 - d);
        // Users `v0..` into `out` and `out_share`: their change and what they do not pass on.
        let step = |v0: usize, out: &mut [f64], out_share: &mut [f64]| -> (f64, f64) {
            let (mut change, mut kept) = (0.0, 0.0);
            for (k, (slot, s)) in out.iter_mut().zip(out_share.iter_mut()).enumerate() {
                let v = v0 + k;
                let (a, b) = (g.in_start[v] as usize, g.in_start[v + 1] as usize);
                let pulled: f64 = g.in_src[a..b]
                    .iter()
                    .zip(&g.in_weight[a..b])
                    .map(|(u, w)| f64::from(*w) * share[*u as usize])
                    .sum();
                let value = d * pulled + base * p[v];
                change += (value - x[v]).abs();
                kept += value * (1.0 - g.passed[v]);
                (*slot, *s) = (value, value * inv_out[v]);
            }
            (change, kept)
        };
        let (change, kept) = if n > CHUNK {
            // Partial sums added in chunk order: the same scores on every run.
            let partial: Vec<(f64, f64)> = next
                .par_chunks_mut(CHUNK)
                .zip(next_share.par_chunks_mut(CHUNK))
                .enumerate()
                .map(|(c, (out, out_share))| step(c * CHUNK, out, out_share))
                .collect();
            partial
                .iter()
                .fold((0.0, 0.0), |(c, k), (pc, pk)| (c + pc, k + pk))
        } else {
            step(0, &mut next, &mut next_share)
        };
        std::mem::swap(&mut x, &mut next);
        std::mem::swap(&mut share, &mut next_share);
        dangling = kept;
        if change < params.tolerance {
            return Ranked {
                raw: x,
                iterations: iteration,
                converged: true,
            };
        }
    }
    Ranked {
        raw: x,
        iterations: params.max_iterations,
        converged: false,
    }
}

/// `s` rescaled to sum to 1, if it has `n` finite, non-negative entries and some weight.
fn normalised(s: &[f64], n: usize) -> Option<Vec<f64>> {
    let total: f64 = s.iter().sum();
    let usable = s.len() == n && total > 0.0 && s.iter().all(|x| x.is_finite() && *x >= 0.0);
    usable.then(|| s.iter().map(|x| x / total).collect())
}

#[cfg(test)]
mod tests {
    use super::super::Edge;
    use super::*;

    fn graph(edges: &[(i32, i32)], seeds: &[i32]) -> TopicGraph {
        let edges: Vec<Edge> = edges
            .iter()
            .map(|(a, b)| Edge {
                endorser: *a,
                endorsee: *b,
                weight: 1.0,
                full: 1.0,
                held: false,
            })
            .collect();
        TopicGraph::build(&edges, seeds, &[], 100)
    }

    #[test]
    fn a_cycle_is_uniform_and_scores_sum_to_one() {
        let r = rank(&graph(&[(1, 2), (2, 3), (3, 1)], &[]), &Params::default());
        assert!(r.converged);
        for x in &r.raw {
            assert!((x - 1.0 / 3.0).abs() < 1e-9);
        }
    }

    #[test]
    fn mass_is_kept_with_dangling_users_and_seeds() {
        let g = graph(&[(1, 2), (2, 3), (4, 3)], &[1]);
        let r = rank(&g, &Params::default());
        assert!((r.raw.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // 4 is reached by nobody and is no seed: nothing.
        let four = g.users.iter().position(|u| *u == 4).unwrap();
        assert_eq!(r.raw[four], 0.0);
    }

    #[test]
    fn a_warm_start_reaches_the_same_scores_in_fewer_steps() {
        // A ring of 60 with chords, then the same with a few endorsements more.
        let mut edges: Vec<(i32, i32)> = (1..=60).map(|u| (u, u % 60 + 1)).collect();
        edges.extend((1..=60).step_by(7).map(|u| (u, (u * 13) % 60 + 1)));
        let before = rank(&graph(&edges, &[]), &Params::default());
        edges.extend([(5, 9), (17, 9), (33, 40)]);
        let g = graph(&edges, &[]);
        let cold = rank(&g, &Params::default());
        let warm = rank_from(&g, &Params::default(), Some(&before.raw));
        assert!(cold.converged && warm.converged);
        assert!(
            warm.iterations < cold.iterations,
            "{} vs {}",
            warm.iterations,
            cold.iterations
        );
        let gap = cold
            .raw
            .iter()
            .zip(&warm.raw)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(gap < 1e-9, "{gap}");
        // A start that cannot be one is ignored.
        let ignored = rank_from(&g, &Params::default(), Some(&[f64::NAN; 60]));
        assert_eq!(ignored, cold);
    }
}
