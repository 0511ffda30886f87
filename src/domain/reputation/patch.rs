//! A topic's graph brought up to date in place: some endorsements taken out, some added, the
//! users it had keeping their numbers. For a large topic kept in memory between recomputes,
//! this is a few sequential passes over the edges, where building it again renumbers every
//! endorsement's two users through memory at random.

use super::graph::{entries, Entry, Renumbering, TopicGraph};
use super::Edge;

/// An edge taken out.
const GONE: u32 = u32::MAX;

/// What a patch did to the numbering of the users.
pub struct Renumbered {
    /// Each user's number before anyone left.
    numbers: Renumbering,
    /// Each of those numbers' new one (`None`: the user left the topic); `None` as a whole when
    /// nobody left, so every user kept their number.
    moved: Option<Vec<Option<u32>>>,
    /// Users in the graph now; those without an old number come after the rest.
    len: usize,
}

impl Renumbered {
    /// The number of user `global` in the graph, if they are in it.
    pub fn number(&self, global: i32) -> Option<usize> {
        let n = self.numbers.get(global)?;
        match &self.moved {
            None => Some(n as usize),
            Some(moved) => moved[n as usize].map(|to| to as usize),
        }
    }

    /// `old`, a value per user by the old numbering, by the new one; `fill` for new users.
    pub fn carry<T: Copy>(&self, old: &[T], fill: T) -> Vec<T> {
        match &self.moved {
            None => {
                let mut out = old.to_vec();
                out.resize(self.len, fill);
                out
            }
            Some(moved) => {
                let mut out = vec![fill; self.len];
                for (x, to) in old.iter().zip(moved) {
                    if let Some(to) = to {
                        out[*to as usize] = *x;
                    }
                }
                out
            }
        }
    }
}

impl TopicGraph {
    /// Takes out the edges `removed` (endorser, endorsee: global ids), adds `added` (weights of
    /// 0 or less left out, as `build` leaves them), makes `seeds` the teleport set and keeps
    /// `members` as users. Users already in the graph keep their numbers; new ones follow in
    /// order of appearance; users left with no edge who are neither seeds nor members leave, as
    /// `build` would not have them. The graph is then the one `build` makes of the same edges,
    /// but for the numbering of users and the order of each endorsee's edges (so sums differ
    /// in their last bits). A topic has at most one edge per endorser and endorsee (one live
    /// endorsement per triple), so an edge is named by its two users.
    pub fn patch(
        &mut self,
        removed: &[(i32, i32)],
        added: &[Edge],
        seeds: &[i32],
        members: &[i32],
        max_user_id: i32,
    ) -> Renumbered {
        let old_len = self.len();
        let ids = old_len + 2 * added.len() + seeds.len() + members.len();
        let mut compact = Renumbering::new(ids, max_user_id);
        for (i, u) in self.users.iter().enumerate() {
            *compact.slot(*u) = i as u32 + 1;
        }
        for (endorser, endorsee) in removed {
            if let (Some(src), Some(dst)) = (compact.get(*endorser), compact.get(*endorsee)) {
                let (a, b) = self.range(dst as usize);
                if let Some(e) = (a..b).find(|e| self.in_src[*e] == src) {
                    self.in_src[e] = GONE;
                }
            }
        }
        let users = &mut self.users;
        let mut id_of = |global: i32| -> u32 {
            let slot = compact.slot(global);
            if *slot == 0 {
                users.push(global);
                *slot = users.len() as u32;
            }
            *slot - 1
        };
        let mut fresh = entries(added, &mut id_of);
        self.seeds = seeds.iter().map(|s| id_of(*s)).collect();
        let members: Vec<u32> = members.iter().map(|m| id_of(*m)).collect();
        // Stable: an endorsee's new edges keep the order they came in.
        fresh.sort_by_key(|f| f.0);
        self.merge(&fresh);
        let moved = self.drop_unlinked(&members);
        self.derive();
        Renumbered {
            numbers: compact,
            moved,
            len: self.len(),
        }
    }

    /// Edges into `v`.
    fn range(&self, v: usize) -> (usize, usize) {
        (self.in_start[v] as usize, self.in_start[v + 1] as usize)
    }

    /// The rows again, without the edges taken out and with `fresh` (by endorsee) after each
    /// endorsee's old edges.
    fn merge(&mut self, fresh: &[Entry]) {
        let (old_len, n) = (self.in_start.len() - 1, self.users.len());
        let room = self.in_src.len() + fresh.len();
        let mut start = Vec::with_capacity(n + 1);
        let mut src = Vec::with_capacity(room);
        let mut weight = Vec::with_capacity(room);
        let mut full = Vec::with_capacity(room);
        let mut held = Vec::with_capacity(room);
        start.push(0u32);
        let mut f = fresh.iter().peekable();
        for v in 0..n {
            if v < old_len {
                let (a, b) = self.range(v);
                for e in (a..b).filter(|e| self.in_src[*e] != GONE) {
                    src.push(self.in_src[e]);
                    weight.push(self.in_weight[e]);
                    full.push(self.in_full[e]);
                    held.push(self.in_held[e]);
                }
            }
            while let Some((_, s, w, fw, h)) = f.next_if(|x| x.0 as usize == v) {
                src.push(*s);
                weight.push(*w);
                full.push(*fw);
                held.push(*h);
            }
            start.push(src.len() as u32);
        }
        (self.in_start, self.in_src, self.in_weight) = (start, src, weight);
        (self.in_full, self.in_held) = (full, held);
    }

    /// Removes the users with no edge in or out who are neither seeds nor `members`, and says
    /// where everyone went (`None`: nobody left).
    fn drop_unlinked(&mut self, members: &[u32]) -> Option<Vec<Option<u32>>> {
        let n = self.len();
        let mut linked: Vec<bool> = self.in_start.windows(2).map(|w| w[0] < w[1]).collect();
        for u in self.in_src.iter().chain(&self.seeds).chain(members) {
            linked[*u as usize] = true;
        }
        if linked.iter().all(|l| *l) {
            return None;
        }
        let mut moved = vec![None; n];
        let survivors = moved.iter_mut().zip(&linked).filter(|(_, l)| **l);
        for (kept, (to, _)) in survivors.enumerate() {
            *to = Some(kept as u32);
        }
        let at = |u: &u32| moved[*u as usize].expect("edges and seeds are between linked users");
        self.in_src = self.in_src.iter().map(at).collect();
        self.seeds = self.seeds.iter().map(at).collect();
        // Users who leave have no edges in: their row boundaries are their neighbours'.
        let mut start = vec![0u32];
        for v in (0..n).filter(|v| linked[*v]) {
            start.push(self.in_start[v + 1]);
        }
        self.in_start = start;
        let mut keep = linked.iter();
        self.users.retain(|_| *keep.next().unwrap_or(&false));
        Some(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{rank, Params};
    use super::*;
    use std::collections::HashMap;

    fn edge(endorser: i32, endorsee: i32, weight: f32) -> Edge {
        Edge {
            endorser,
            endorsee,
            weight,
            full: 1.0,
            held: weight < 1.0,
        }
    }

    /// Every user's score, rank totals and received tallies, by global id.
    fn by_user(g: &TopicGraph) -> HashMap<i32, (f64, f64, f64, u32, u32)> {
        let r = rank(g, &Params::default());
        g.users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let totals = (g.out_weight[i], g.passed[i], g.counted[i], g.discounted[i]);
                (*u, (r.raw[i], totals.0, totals.1, totals.2, totals.3))
            })
            .collect()
    }

    fn assert_same(a: &TopicGraph, b: &TopicGraph) {
        assert_eq!(a.edges(), b.edges());
        let (a, b) = (by_user(a), by_user(b));
        let mut users: Vec<_> = a.keys().collect();
        users.sort();
        let mut theirs: Vec<_> = b.keys().collect();
        theirs.sort();
        assert_eq!(users, theirs);
        for u in users {
            let (x, y) = (a[u], b[u]);
            assert!((x.0 - y.0).abs() < 1e-12, "{u}: {x:?} vs {y:?}");
            assert!((x.1 - y.1).abs() < 1e-9 && (x.2 - y.2).abs() < 1e-9, "{u}");
            assert_eq!((x.3, x.4), (y.3, y.4), "{u}");
        }
    }

    #[test]
    fn a_patched_graph_ranks_as_one_built_from_scratch() {
        // A small deterministic scramble: rings, chords, held edges, users who come and go.
        let mut state = 7u64;
        let mut next = |m: i32| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % m as u64) as i32
        };
        let mut edges: Vec<Edge> = Vec::new();
        for _ in 0..400 {
            let (a, b) = (next(120), next(120));
            let w = if next(5) == 0 { 0.25 } else { 1.0 };
            if a != b && !edges.iter().any(|e| (e.endorser, e.endorsee) == (a, b)) {
                edges.push(edge(a, b, w));
            }
        }
        let mut g = TopicGraph::build(&edges, &[3, 5], &[200], 300);
        for round in 0..6 {
            let removed: Vec<(i32, i32)> = (0..15)
                .map(|_| edges.swap_remove(next(edges.len() as i32) as usize))
                .map(|e| (e.endorser, e.endorsee))
                .collect();
            let mut added = Vec::new();
            for _ in 0..20 {
                let (a, b) = (next(150), next(150));
                let taken = edges
                    .iter()
                    .chain(&added)
                    .any(|e: &Edge| (e.endorser, e.endorsee) == (a, b));
                if a != b && !taken {
                    added.push(edge(a, b, if next(4) == 0 { 0.25 } else { 1.0 }));
                }
            }
            edges.extend(added.iter().copied());
            let seeds = [3, 5 + round];
            let members = if round % 2 == 0 { vec![200] } else { vec![] };
            let before = g.users.clone();
            let moved = g.patch(&removed, &added, &seeds, &members, 300);
            let cold = TopicGraph::build(&edges, &seeds, &members, 300);
            assert_same(&g, &cold);
            // What was carried sits with the same users, and numbers name them.
            let carried = moved.carry(&before, -1);
            for (i, u) in carried.iter().enumerate() {
                assert!(*u == -1 || *u == g.users[i], "round {round}");
                assert_eq!(moved.number(g.users[i]), Some(i));
            }
        }
    }

    #[test]
    fn users_left_with_nothing_leave_and_numbers_move_up() {
        let mut g = TopicGraph::build(&[edge(1, 2, 1.0), edge(3, 4, 1.0)], &[], &[], 10);
        let moved = g.patch(&[(1, 2)], &[edge(5, 4, 1.0)], &[], &[], 10);
        assert_eq!(g.users, vec![3, 4, 5]);
        assert_eq!(moved.carry(&[10, 20, 30, 40], 0), vec![30, 40, 0]);
        let numbers: Vec<_> = [1, 2, 3, 4, 5, 6].map(|u| moved.number(u)).into();
        assert_eq!(numbers, [None, None, Some(0), Some(1), Some(2), None]);
        assert_same(
            &g,
            &TopicGraph::build(&[edge(3, 4, 1.0), edge(5, 4, 1.0)], &[], &[], 10),
        );
        // Nothing changed: the numbering stays as it is.
        let same = g.patch(&[], &[], &[], &[], 10);
        assert_eq!(same.carry(&[1, 2, 3], 0), vec![1, 2, 3]);
    }
}
