//! Large topics' endorsements, graphs and last scores, kept in memory between recomputes by the
//! worker: a topic that changed a little is recomputed from what it holds plus the endorsements
//! that changed, its graph patched rather than built again, and its iteration starts from the
//! last scores, instead of reading the topic whole (at 1.5M endorsements, the read alone is most
//! of a second or more).

use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashMapExt};

use crate::domain::reputation::{Params, TopicGraph};
use crate::storage::reputation::GraphRow;

/// A topic is kept when it has at least this many endorsements: a smaller one reads in
/// milliseconds through the topic index.
pub const MIN_ENDORSEMENTS: usize = 50_000;
/// Endorsements kept in all, by default: each takes 32 bytes as a row and 13 in the graph, and
/// each user scored in a kept topic (a topic has about half as many users as endorsements) 48
/// in the graph and its scores, so some 280 MB.
pub const DEFAULT_BUDGET: usize = 4_000_000;

/// Where a kept topic's next recompute starts.
#[derive(Debug)]
pub enum Prior {
    /// The last scores by user: the graph is built again.
    ByUser(HashMap<i32, f64>),
    /// The graph as last computed, to patch.
    Built(Box<Built>),
}

impl Default for Prior {
    fn default() -> Prior {
        Prior::ByUser(HashMap::new())
    }
}

impl Prior {
    /// The last scores by user.
    pub fn by_user(self) -> HashMap<i32, f64> {
        match self {
            Prior::ByUser(scores) => scores,
            Prior::Built(b) => b.graph.users.iter().copied().zip(b.raw).collect(),
        }
    }
}

/// A topic's graph as last computed, with what its next recompute needs besides.
#[derive(Debug)]
pub struct Built {
    /// Its weights decayed to `at`. Later, every weight is smaller by the same factor, which
    /// leaves every share, and so the ranking, as it is.
    pub graph: TopicGraph,
    /// Each user's raw score, by the graph's numbering.
    pub raw: Vec<f64>,
    /// What each user gave in all (decayed to `at`, in f64 as explain adds it up), by the
    /// graph's numbering.
    pub out: Vec<f64>,
    /// Voided endorsements per endorsee.
    pub voided: HashMap<i32, i64>,
    pub at: DateTime<Utc>,
    /// The parameters the weights were made with.
    pub params: Params,
}

/// One topic as last computed.
#[derive(Debug, Default)]
struct Topic {
    /// Its endorsements that are not revoked, by id.
    rows: Vec<GraphRow>,
    /// Where the next recompute starts.
    prior: Prior,
    /// Endorsements that changed since (created, revoked, flagged, reviewed): read again by id
    /// before the topic is next computed.
    changed: Vec<i64>,
    /// When it was last used, to let the least recently used go first.
    used: u64,
}

/// The topics kept, within a budget of endorsements.
#[derive(Debug)]
pub struct GraphCache {
    topics: HashMap<i32, Topic>,
    budget: usize,
    min_topic: usize,
    clock: u64,
}

/// A kept topic handed out for a recompute: its rows brought up to date by the caller, and its
/// last scores.
pub struct Kept {
    pub topic: i32,
    pub changed: Vec<i64>,
    pub rows: Vec<GraphRow>,
    pub prior: Prior,
}

impl GraphCache {
    /// A cache of at most `budget` endorsements (0 keeps nothing), keeping topics of
    /// `min_topic` endorsements or more.
    pub fn new(budget: usize, min_topic: usize) -> GraphCache {
        GraphCache {
            topics: HashMap::new(),
            budget,
            min_topic,
            clock: 0,
        }
    }

    /// Whether `topic` is kept.
    pub fn holds(&self, topic: i32) -> bool {
        self.topics.contains_key(&topic)
    }

    /// Notes that endorsement `id` of `topic` changed, if the topic is kept. A topic whose
    /// changes pile up unused (another instance keeps winning its recomputes) is let go once
    /// they would take longer to read than the topic: its next recompute reads it whole.
    pub fn changed(&mut self, topic: i32, id: i64) {
        let Some(t) = self.topics.get_mut(&topic) else {
            return;
        };
        t.changed.push(id);
        if t.changed.len() > t.rows.len() / 4 {
            self.topics.remove(&topic);
        }
    }

    /// Forgets everything: endorsements moved between topics (a merge).
    pub fn clear(&mut self) {
        self.topics.clear();
    }

    /// Takes `topic` out for a recompute; [`GraphCache::put`] brings it back.
    pub fn take(&mut self, topic: i32) -> Option<Kept> {
        let t = self.topics.remove(&topic)?;
        Some(Kept {
            topic,
            changed: t.changed,
            rows: t.rows,
            prior: t.prior,
        })
    }

    /// Endorsements it may keep in all.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Whether a topic of `rows` endorsements is worth keeping and fits at all.
    pub fn wants(&self, rows: usize) -> bool {
        rows >= self.min_topic && rows <= self.budget
    }

    /// Keeps `topic` as just computed: `rows` by id, where its next recompute starts. The least
    /// recently used topics go to make room.
    pub fn put(&mut self, topic: i32, rows: Vec<GraphRow>, prior: Prior) {
        if !self.wants(rows.len()) {
            return;
        }
        self.topics.remove(&topic);
        while self.held() + rows.len() > self.budget {
            let Some(oldest) = self
                .topics
                .iter()
                .min_by_key(|(_, t)| t.used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.topics.remove(&oldest);
        }
        self.clock += 1;
        let used = self.clock;
        self.topics.insert(
            topic,
            Topic {
                rows,
                prior,
                changed: Vec::new(),
                used,
            },
        );
    }

    /// Endorsements kept in all.
    pub fn held(&self) -> usize {
        self.topics.values().map(|t| t.rows.len()).sum()
    }
}

/// One endorsement before and after (`None`: not in the topic).
#[derive(Debug, Clone, Copy)]
pub struct Change {
    pub old: Option<GraphRow>,
    pub new: Option<GraphRow>,
}

/// Brings `rows` (by id) up to date with `now`, the changed endorsements as they stand: each
/// replaces its old self, or goes if it is revoked (`None` in the pair) or no longer in `topic`.
/// Returns what changed.
pub fn apply(
    rows: &mut Vec<GraphRow>,
    topic: i32,
    mut now: Vec<(i64, Option<GraphRow>)>,
) -> Vec<Change> {
    // An endorsement noted twice changed once, to what it is now.
    now.sort_by_key(|(id, _)| *id);
    now.dedup_by_key(|(id, _)| *id);
    let mut gone = false;
    let mut added = Vec::new();
    let mut changes = Vec::with_capacity(now.len());
    for (id, row) in now {
        let row = row.filter(|r| r.topic == topic);
        let old = match (rows.binary_search_by_key(&id, |r| r.id), row) {
            (Ok(i), Some(row)) => Some(std::mem::replace(&mut rows[i], row)),
            (Ok(i), None) => {
                let old = rows[i];
                // Marked, then swept in one pass: removing one by one moves the rest each time.
                rows[i].id = GONE;
                gone = true;
                Some(old)
            }
            (Err(_), Some(row)) => {
                added.push(row);
                None
            }
            (Err(_), None) => continue,
        };
        changes.push(Change { old, new: row });
    }
    if gone {
        rows.retain(|r| r.id != GONE);
    }
    if !added.is_empty() {
        added.sort_unstable_by_key(|r| r.id);
        added.dedup_by_key(|r| r.id);
        let in_order = rows.last().is_none_or(|last| last.id < added[0].id);
        rows.extend(added);
        if !in_order {
            rows.sort_unstable_by_key(|r| r.id);
        }
    }
    changes
}

/// An id no endorsement has: marks a row to remove.
const GONE: i64 = i64::MIN;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::instant::Stamp;

    fn row(id: i64, topic: i32, flagged: bool) -> GraphRow {
        GraphRow {
            id,
            topic,
            endorser: id as i32,
            endorsee: 1,
            flagged,
            voided: false,
            created_at: Stamp(id),
        }
    }

    fn ids(rows: &[GraphRow]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn changes_replace_remove_and_add_in_id_order() {
        let mut rows = vec![row(2, 7, false), row(4, 7, false), row(6, 7, false)];
        let changes = apply(
            &mut rows,
            7,
            vec![
                (4, Some(row(4, 7, true))),  // flagged since
                (6, None),                   // revoked
                (2, Some(row(2, 8, false))), // moved to another topic
                (9, Some(row(9, 7, false))), // new
                (3, Some(row(3, 7, false))), // new, older than the last kept
                (5, None),                   // created and revoked in between
                (9, Some(row(9, 7, false))), // noted twice
            ],
        );
        assert_eq!(ids(&rows), [3, 4, 9]);
        assert!(rows[1].flagged);
        // Before and after, once per endorsement, in id order; 5 never was in the topic.
        let seen: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c.old.map(|r| (r.id, r.topic)),
                    c.new.map(|r| (r.id, r.flagged)),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Some((2, 7)), None),
                (None, Some((3, false))),
                (Some((4, 7)), Some((4, true))),
                (Some((6, 7)), None),
                (None, Some((9, false))),
            ]
        );
    }

    #[test]
    fn the_least_recently_kept_topic_goes_first() {
        let many = |topic| (0..100).map(|i| row(i, topic, false)).collect();
        let mut cache = GraphCache::new(200, 100);
        cache.put(1, many(1), Prior::default());
        cache.put(2, many(2), Prior::default());
        cache.put(3, many(3), Prior::default());
        assert!(!cache.holds(1) && cache.holds(2) && cache.holds(3));
        assert_eq!(cache.held(), 200);
        cache.put(4, vec![row(1, 4, false)], Prior::default());
        assert!(!cache.holds(4), "a small topic is not kept");
        let kept = cache.take(2).unwrap();
        cache.changed(3, 99);
        cache.changed(2, 98); // taken out: not noted
        assert!(kept.changed.is_empty());
        assert_eq!(cache.take(3).unwrap().changed, [99]);
    }

    #[test]
    fn a_topic_whose_changes_pile_up_is_let_go() {
        let mut cache = GraphCache::new(1000, 8);
        cache.put(
            1,
            (0..8).map(|i| row(i, 1, false)).collect(),
            Prior::default(),
        );
        cache.changed(1, 20);
        cache.changed(1, 21);
        assert!(cache.holds(1));
        cache.changed(1, 22);
        assert!(
            !cache.holds(1),
            "three changes of eight rows: read it whole"
        );
    }
}
