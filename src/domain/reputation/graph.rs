//! One topic's endorsements as a compact graph: users renumbered 0..n, edges grouped by
//! endorsee (so the iteration reads its inputs in order and writes each score once).

/// One endorsement: global user ids, its weight (status × decay; 0 or less is not counted),
/// its full weight (decay alone: what it would weigh if nothing held it), and whether a flag
/// holds it. Endorsers share what they give by full weight, so a held endorsement passes on
/// only its discounted part and the rest goes where teleports go, instead of being handed to
/// the endorser's other endorsees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub endorser: i32,
    pub endorsee: i32,
    pub weight: f32,
    pub full: f32,
    pub held: bool,
}

/// A topic's graph in compressed sparse rows by endorsee.
#[derive(Debug, Clone, Default)]
pub struct TopicGraph {
    /// Global user id of each compact id, in order of first appearance.
    pub users: Vec<i32>,
    /// Compact ids of the seeds (empty: teleport to everyone).
    pub seeds: Vec<u32>,
    /// `in_start[v]..in_start[v + 1]` are the edges into `v`.
    pub(super) in_start: Vec<u32>,
    pub(super) in_src: Vec<u32>,
    pub(super) in_weight: Vec<f32>,
    /// Each edge's full weight and whether a flag holds it: what the per-user totals below are
    /// made from, kept so that a patched graph makes them again (see `patch`).
    pub(super) in_full: Vec<f32>,
    pub(super) in_held: Vec<bool>,
    /// Total full weight each user gives: what their endorsements are shares of.
    pub out_weight: Vec<f64>,
    /// Part of each user's score passed on through endorsements (1 when nothing is held,
    /// 0 for users who endorse nobody); the rest goes where teleports go.
    pub passed: Vec<f64>,
    /// Endorsements each user received that count in full.
    pub counted: Vec<u32>,
    /// Endorsements each user received that a flag holds at a discount.
    pub discounted: Vec<u32>,
}

/// Global user id → 1 + the graph's own number (0: not numbered yet). An array over every id is
/// one lookup each, but costs the whole id range to allocate and zero: for a topic of a few
/// users among a hundred thousand, fifty thousand such topics spent most of a recompute
/// zeroing. A topic that small uses a map.
pub(super) enum Renumbering {
    Dense(Vec<u32>),
    Sparse(std::collections::HashMap<i32, u32>),
}

impl Renumbering {
    /// For up to `ids` ids (with repeats) out of `0..=max_user_id`.
    pub(super) fn new(ids: usize, max_user_id: i32) -> Renumbering {
        let range = max_user_id.max(0) as usize + 1;
        if ids.saturating_mul(16) >= range {
            Renumbering::Dense(vec![0; range])
        } else {
            Renumbering::Sparse(std::collections::HashMap::with_capacity(ids))
        }
    }

    pub(super) fn slot(&mut self, global: i32) -> &mut u32 {
        match self {
            Renumbering::Dense(v) => &mut v[global as usize],
            Renumbering::Sparse(m) => m.entry(global).or_insert(0),
        }
    }

    /// The graph's number of `global`, if it has one.
    pub(super) fn get(&self, global: i32) -> Option<u32> {
        let slot = match self {
            Renumbering::Dense(v) => usize::try_from(global).ok().and_then(|i| v.get(i)).copied(),
            Renumbering::Sparse(m) => m.get(&global).copied(),
        };
        slot.filter(|s| *s > 0).map(|s| s - 1)
    }
}

/// One edge on its way into the rows: endorsee, endorser (compact ids), weight, full weight,
/// held.
pub(super) type Entry = (u32, u32, f32, f32, bool);

/// The edges that count (weight above 0), their users numbered by `id_of` (endorser first).
pub(super) fn entries(edges: &[Edge], id_of: &mut impl FnMut(i32) -> u32) -> Vec<Entry> {
    edges
        .iter()
        .filter(|e| e.weight > 0.0)
        .map(|e| {
            let src = id_of(e.endorser);
            (
                id_of(e.endorsee),
                src,
                e.weight,
                e.full.max(e.weight),
                e.held,
            )
        })
        .collect()
}

impl TopicGraph {
    /// Builds the graph of `edges` (weights of 0 or less are dropped) with `seeds` as the
    /// teleport set, and `members` as users of the topic even without a counted endorsement
    /// (whose endorsements were all voided, say); `max_user_id` bounds every id, so renumbering
    /// is one array lookup.
    pub fn build(edges: &[Edge], seeds: &[i32], members: &[i32], max_user_id: i32) -> TopicGraph {
        let mut compact = Renumbering::new(edges.len() + seeds.len() + members.len(), max_user_id);
        let mut users = Vec::new();
        let mut id_of = |global: i32| -> u32 {
            let slot = compact.slot(global);
            if *slot == 0 {
                users.push(global);
                *slot = users.len() as u32;
            }
            *slot - 1
        };
        let kept = entries(edges, &mut id_of);
        let seeds: Vec<u32> = seeds.iter().map(|s| id_of(*s)).collect();
        for m in members {
            id_of(*m);
        }
        let n = users.len();
        let mut in_start = vec![0u32; n + 1];
        for (dst, ..) in &kept {
            in_start[*dst as usize + 1] += 1;
        }
        for v in 0..n {
            in_start[v + 1] += in_start[v];
        }
        let mut next = in_start.clone();
        let mut g = TopicGraph {
            users,
            seeds,
            in_src: vec![0; kept.len()],
            in_weight: vec![0.0; kept.len()],
            in_full: vec![0.0; kept.len()],
            in_held: vec![false; kept.len()],
            ..TopicGraph::default()
        };
        for (dst, src, w, full, held) in kept {
            let at = &mut next[dst as usize];
            let e = *at as usize;
            (g.in_src[e], g.in_weight[e], g.in_full[e], g.in_held[e]) = (src, w, full, held);
            *at += 1;
        }
        g.in_start = in_start;
        g.derive();
        g
    }

    /// Each user's totals (given, passed on, received) from the edges.
    pub(super) fn derive(&mut self) {
        let n = self.len();
        let mut out_weight = vec![0f64; n];
        let mut passed = vec![0f64; n];
        let mut counted = vec![0u32; n];
        let mut discounted = vec![0u32; n];
        for v in 0..n {
            for e in self.in_start[v] as usize..self.in_start[v + 1] as usize {
                let src = self.in_src[e] as usize;
                out_weight[src] += f64::from(self.in_full[e]);
                passed[src] += f64::from(self.in_weight[e]);
                let tally = if self.in_held[e] {
                    &mut discounted
                } else {
                    &mut counted
                };
                tally[v] += 1;
            }
        }
        for (p, out) in passed.iter_mut().zip(&out_weight) {
            if *out > 0.0 {
                *p /= out;
            }
        }
        (self.out_weight, self.passed) = (out_weight, passed);
        (self.counted, self.discounted) = (counted, discounted);
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn edges(&self) -> usize {
        self.in_src.len()
    }

    /// The teleport distribution: uniform over the seeds, or over everyone without seeds.
    pub fn teleport(&self) -> Vec<f64> {
        let n = self.len();
        if self.seeds.is_empty() {
            return vec![1.0 / n as f64; n];
        }
        let mut p = vec![0.0; n];
        for s in &self.seeds {
            p[*s as usize] = 1.0;
        }
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|x| *x /= total);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbers_and_groups_by_endorsee() {
        let e = |a, b, w| Edge {
            endorser: a,
            endorsee: b,
            weight: w,
            full: 1.0,
            held: w < 1.0,
        };
        let edges = [e(7, 3, 1.0), e(5, 3, 0.5), e(3, 9, 0.0)];
        let g = TopicGraph::build(&edges, &[9], &[], 10);
        assert!(matches!(Renumbering::new(4, 10), Renumbering::Dense(_)));
        // Among a million ids the same few are numbered through a map, the same way.
        assert!(matches!(
            Renumbering::new(4, 1_000_000),
            Renumbering::Sparse(_)
        ));
        let sparse = TopicGraph::build(&edges, &[9], &[], 1_000_000);
        assert_eq!(
            (
                &sparse.users,
                &sparse.in_start,
                &sparse.in_src,
                &sparse.passed
            ),
            (&g.users, &g.in_start, &g.in_src, &g.passed)
        );
        assert_eq!((g.counted[1], g.discounted[1]), (1, 1));
        // 9 is only reached through a zero-weight edge, but it is a seed.
        assert_eq!(g.users, vec![7, 3, 5, 9]);
        assert_eq!(g.edges(), 2);
        assert_eq!(&g.in_start, &[0, 0, 2, 2, 2]);
        assert_eq!(g.out_weight, vec![1.0, 0.0, 1.0, 0.0]);
        assert_eq!(g.passed, vec![1.0, 0.0, 0.5, 0.0]);
        assert_eq!(g.teleport(), vec![0.0, 0.0, 0.0, 1.0]);
    }
}
