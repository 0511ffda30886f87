//! The writer's model: everything the rules and detectors read, kept in memory so that judging a
//! write costs no query.
//!
//! It is a fold of the ledger: handle and topic ids, every (endorser, endorsee, topic) triple's
//! latest endorsement (the duplicate and cooldown rules), each user's endorsements given and
//! received within [`Model::retain`] (the budget and the detectors), begging asks within the
//! same span, and the ledger head. The service builds it from the database at start, applies
//! each write's [`Event`] as it makes it, and applies other writers' ledger entries before a
//! batch (catch-up), so it stays exact with several writers on one database.

mod edges;
mod names;
mod triples;

use chrono::{DateTime, Duration, Utc};

use edges::Edges;
pub use edges::Half;
pub use names::Names;
use triples::{Latest, Triples};

use super::rules::{BudgetUse, TripleHistory, BUDGET_WINDOW};
use super::solicitation::{on_behalf::Named, THRESHOLD};

/// The model's hash maps: foldhash, several times faster than the standard SipHash on these small
/// integer keys, and seeded at random per map so handles chosen by clients cannot force collisions.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Microseconds since the Unix epoch: the model's clock, compact and totally ordered.
pub type Micros = i64;

pub fn micros(t: DateTime<Utc>) -> Micros {
    t.timestamp_micros()
}

pub fn instant(m: Micros) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(m).unwrap_or_default()
}

/// An (endorser, endorsee, topic) triple, by ids.
pub type Triple = (i32, i32, i32);

/// A begging ask, kept for the `solicited` detector.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub id: i64,
    pub requester: i32,
    pub target: Option<i32>,
    pub topic: Option<i32>,
    pub observed_at: Micros,
    pub score: f64,
    pub text: String,
    pub cues: Vec<String>,
    /// Name of the API key that reported it: a moderator sees which app an ask came from.
    pub reported_by: Option<String>,
    /// Users the ask's text begs for by name (`@handle`), with its verdict read as theirs: a
    /// plea on a friend's behalf counts for the friend. Handles, not ids, since the friend may
    /// not have been seen yet.
    pub begged_for: Vec<Named>,
}

impl Ask {
    /// The ask as seen by the user it names: their score and cues.
    pub fn as_named(&self, named: &Named) -> Ask {
        Ask {
            score: named.verdict.score,
            cues: named.verdict.cues.clone(),
            begged_for: Vec::new(),
            ..self.clone()
        }
    }

    /// Whether the ask begs for its requester (it may beg only for someone it names).
    pub fn for_requester(&self) -> bool {
        self.score >= THRESHOLD
    }
}

/// The last ledger entry applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// What a ledger entry changes in the model, with handles already turned into ids.
#[derive(Debug, Clone)]
pub enum Event {
    Created {
        id: i64,
        triple: Triple,
        at: DateTime<Utc>,
    },
    Revoked {
        id: i64,
        triple: Triple,
    },
    /// A reported ask; kept when it begs for its requester or for someone it names.
    Asked(Ask),
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Model {
    pub users: Names,
    pub topics: Names,
    /// Merged topics' slugs, each with the id of the topic it was merged into.
    merged: Map<Box<str>, i32>,
    triples: Triples,
    edges: Edges,
    asks: Map<i32, Vec<Ask>>,
    /// The same asks by each handle their text names.
    asks_naming: Map<Box<str>, Vec<Ask>>,
    head: Option<Head>,
    retain: Duration,
    /// The latest endorsement time applied: what "recent" is measured from.
    newest: Micros,
    /// The earliest endorsement time loaded or applied: where the history begins.
    first: Micros,
}

impl Model {
    /// An empty model that keeps neighbourhoods for `retain` (the longest window any rule or
    /// detector looks back).
    pub fn new(retain: Duration) -> Model {
        Model {
            users: Names::default(),
            topics: Names::default(),
            merged: Map::default(),
            triples: Triples::default(),
            edges: Edges::default(),
            asks: Map::default(),
            asks_naming: Map::default(),
            head: None,
            retain,
            newest: Micros::MIN,
            first: Micros::MAX,
        }
    }

    /// The oldest instant the neighbourhoods still cover, given the newest seen so far.
    pub fn horizon(newest: DateTime<Utc>, retain: Duration) -> DateTime<Utc> {
        newest - retain
    }

    pub fn head(&self) -> Option<&Head> {
        self.head.as_ref()
    }

    pub fn set_head(&mut self, seq: i64, hash: String) {
        self.head = Some(Head { seq, hash });
    }

    /// Records that the topic `slug` was merged into the topic `into`.
    pub fn merged_topic(&mut self, slug: &str, into: i32) {
        self.merged.insert(slug.into(), into);
    }

    /// The slug of the topic `slug` was merged into, if it was: writes naming it go there.
    pub fn merged_into(&self, slug: &str) -> Option<&str> {
        self.topics.name(*self.merged.get(slug)?)
    }

    /// When the history begins: the earliest endorsement known, if any.
    pub fn first(&self) -> Option<DateTime<Utc>> {
        (self.first != Micros::MAX).then(|| instant(self.first))
    }

    /// Number of triples known (all time) and edges held (recent).
    pub fn size(&self) -> (usize, usize) {
        (self.triples.len(), self.edges.len())
    }

    /// Applies one change: a write as it is made, or another writer's entry during catch-up.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Created { id, triple, at } => self.created(id, triple, micros(at)),
            Event::Revoked { id, triple } => self.revoked(id, triple),
            Event::Asked(ask) => self.asked(ask),
        }
    }

    /// Loads a recent stored endorsement: its triple and its edges.
    pub fn load_endorsement(&mut self, id: i64, triple: Triple, at: Micros, live: bool) {
        self.triples.load(triple, Latest::new(id, at, live));
        self.edges.insert(id, triple, at, !live);
        self.newest = self.newest.max(at);
        self.first = self.first.min(at);
    }

    /// Loads an older stored endorsement: only its triple (the rules look back for ever, the
    /// detectors only within [`Model::retain`]).
    pub fn load_triple(&mut self, id: i64, triple: Triple, at: Micros, live: bool) {
        self.triples.load(triple, Latest::new(id, at, live));
        self.first = self.first.min(at);
    }

    /// Ends a load: call once every stored endorsement has been loaded.
    pub fn finish_load(&mut self) {
        self.triples.finish_load();
    }

    fn created(&mut self, id: i64, triple: Triple, at: Micros) {
        self.triples.note(triple, Latest::new(id, at, true));
        self.edges.insert(id, triple, at, false);
        self.newest = self.newest.max(at);
        self.first = self.first.min(at);
    }

    fn revoked(&mut self, id: i64, triple: Triple) {
        self.triples.revoke(triple, id);
        self.edges.revoke(id, triple);
    }

    fn asked(&mut self, ask: Ask) {
        // An ask's time is the reporting app's word and may lie in the future; only endorsement
        // times (never after the clock) move `newest`, so a report cannot make pruning forget.
        for named in &ask.begged_for {
            let list = self
                .asks_naming
                .entry(named.handle.as_str().into())
                .or_default();
            let at = list.partition_point(|a| a.observed_at <= ask.observed_at);
            list.insert(at, ask.as_named(named));
        }
        if !ask.for_requester() {
            return;
        }
        let list = self.asks.entry(ask.requester).or_default();
        let at = list.partition_point(|a| a.observed_at <= ask.observed_at);
        list.insert(at, ask);
    }

    /// Forgets neighbourhoods older than `retain` before the newest instant seen. Triples stay.
    pub fn prune(&mut self) {
        if self.newest == Micros::MIN {
            return;
        }
        let horizon = self.newest - self.retain.num_microseconds().unwrap_or(i64::MAX);
        self.edges.prune(horizon);
        self.asks.retain(|_, list| {
            list.drain(..list.partition_point(|a| a.observed_at < horizon));
            !list.is_empty()
        });
        self.asks_naming.retain(|_, list| {
            list.drain(..list.partition_point(|a| a.observed_at < horizon));
            !list.is_empty()
        });
    }

    /// What the duplicate and cooldown rules need about a triple.
    pub fn triple(&self, triple: Triple) -> TripleHistory {
        match self.triples.get(&triple) {
            None => TripleHistory::default(),
            Some(l) => TripleHistory {
                live: l.live(),
                last_created_at: Some(instant(l.at())),
            },
        }
    }

    /// The latest live endorsement of a triple created in `[from, to]`, as (id, when).
    pub fn live_between(
        &self,
        triple: Triple,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<(i64, DateTime<Utc>)> {
        let l = self.triples.get(&triple)?;
        (l.live() && (micros(from)..=micros(to)).contains(&l.at())).then(|| (l.id, instant(l.at())))
    }

    /// The endorser's use of the daily budget in the window ending at `at`.
    pub fn budget_use(&self, endorser: i32, limit: Option<u32>, at: DateTime<Utc>) -> BudgetUse {
        if limit.is_none() {
            return BudgetUse {
                limit,
                used: 0,
                oldest: None,
            };
        }
        // The window is (at - 24h, at]: an endorsement exactly a day old has left it.
        let given = self.edges.given(endorser);
        let lo = given.partition_point(|h| h.at <= micros(at - BUDGET_WINDOW));
        let hi = given.partition_point(|h| h.at <= micros(at));
        let window = &given[lo..hi];
        BudgetUse {
            limit,
            used: u32::try_from(window.len()).unwrap_or(u32::MAX),
            oldest: window.first().map(|h| instant(h.at)),
        }
    }

    /// Endorsements `user` gave with `from <= at <= to`, oldest first.
    pub fn given(&self, user: i32, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Half] {
        edges::span(self.edges.given(user), micros(from), micros(to))
    }

    /// [`Model::given`] for each of `users`, in their order, the bounds in microseconds.
    ///
    /// Each user's list is its own allocation, and a detector looking at fifty recent
    /// endorsers of someone finds few of them in cache: looked up one after another, every
    /// list is a wait on memory (three quarters of the burst detector's time on a crowded
    /// endorsee). The lists' newest entries are read first in one tight pass, whose loads do
    /// not depend on each other, so the processor fetches them all at once.
    pub fn given_spans(&self, users: &[i32], from: Micros, to: Micros) -> Vec<&[Half]> {
        let lists: Vec<&[Half]> = users.iter().map(|u| self.edges.given(*u)).collect();
        let newest = lists
            .iter()
            .filter_map(|l| l.last())
            .fold(0, |a, h| a ^ h.at);
        std::hint::black_box(newest);
        lists
            .into_iter()
            .map(|l| edges::span(l, from, to))
            .collect()
    }

    /// Endorsements `user` received with `from <= at <= to`, oldest first.
    pub fn received(&self, user: i32, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Half] {
        edges::span(self.edges.received(user), micros(from), micros(to))
    }

    /// Begging asks by `requester` observed in `[from, to]`, oldest first.
    pub fn asks(&self, requester: i32, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Ask] {
        within(self.asks.get(&requester), from, to)
    }

    /// Begging asks whose text names `handle`, observed in `[from, to]`, oldest first.
    pub fn asks_naming(&self, handle: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Ask] {
        within(self.asks_naming.get(handle), from, to)
    }
}

/// The asks of a time-ordered list observed in `[from, to]`.
fn within(list: Option<&Vec<Ask>>, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Ask] {
    let Some(list) = list else {
        return &[];
    };
    let lo = list.partition_point(|a| a.observed_at < micros(from));
    let hi = list.partition_point(|a| a.observed_at <= micros(to));
    &list[lo..hi.max(lo)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time;

    fn model() -> Model {
        Model::new(Duration::days(31))
    }

    #[test]
    fn triples_follow_creates_and_revokes() {
        let mut m = model();
        let now = time::now();
        let t = (1, 2, 3);
        assert!(!m.triple(t).live);
        m.apply(Event::Created {
            id: 10,
            triple: t,
            at: now,
        });
        assert!(m.triple(t).live);
        assert_eq!(m.live_between(t, now, now), Some((10, now)));
        m.apply(Event::Revoked { id: 10, triple: t });
        let h = m.triple(t);
        assert_eq!((h.live, h.last_created_at), (false, Some(now)));
        assert_eq!(m.live_between(t, now, now), None);
        assert_eq!(m.given(1, now, now).len(), 1, "revoked edges stay, marked");
        assert!(m.given(1, now, now)[0].revoked);
    }

    #[test]
    fn budget_counts_the_last_day_only() {
        let mut m = model();
        let now = time::now();
        for (id, hours) in [(1, 30), (2, 24), (3, 23), (4, 1)] {
            m.apply(Event::Created {
                id,
                triple: (1, 100 + id as i32, 1),
                at: now - Duration::hours(hours),
            });
        }
        let b = m.budget_use(1, Some(5), now);
        assert_eq!(b.used, 2);
        assert_eq!(b.oldest, Some(now - Duration::hours(23)));
        assert_eq!(m.budget_use(1, None, now).used, 0);
    }

    #[test]
    fn an_ask_from_the_future_does_not_make_pruning_forget() {
        let mut m = Model::new(Duration::days(1));
        let now = time::now();
        m.apply(Event::Created {
            id: 1,
            triple: (1, 2, 1),
            at: now,
        });
        m.apply(Event::Asked(Ask {
            id: 2,
            requester: 2,
            target: None,
            topic: None,
            observed_at: micros(now + Duration::days(365)),
            score: 0.9,
            text: "please".into(),
            cues: vec![],
            reported_by: None,
            begged_for: vec![],
        }));
        m.prune();
        assert_eq!(m.given(1, now, now).len(), 1);
    }

    #[test]
    fn pruning_keeps_triples_and_drops_old_edges() {
        let mut m = Model::new(Duration::days(1));
        let now = time::now();
        m.apply(Event::Created {
            id: 1,
            triple: (1, 2, 1),
            at: now - Duration::days(3),
        });
        m.apply(Event::Created {
            id: 2,
            triple: (1, 3, 1),
            at: now,
        });
        m.prune();
        assert_eq!(m.size(), (2, 1));
        assert!(m.triple((1, 2, 1)).live);
    }
}
