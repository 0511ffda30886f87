//! Every (endorser, endorsee, topic) triple's latest endorsement: millions of entries that the
//! rules look up twice per write and that rarely change. Loaded ones sit in one sorted vector
//! (32 bytes each, no hashing at load); triples first seen afterwards go to a small map.

use super::{Map, Micros, Triple};

/// The latest endorsement of a triple: its id, and when it was created with whether it is live
/// packed in one word (`at << 1 | live`), so the entries stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latest {
    pub id: i64,
    at_live: i64,
}

impl Latest {
    pub fn new(id: i64, at: Micros, live: bool) -> Latest {
        Latest {
            id,
            at_live: (at << 1) | i64::from(live),
        }
    }

    pub fn at(self) -> Micros {
        self.at_live >> 1
    }

    pub fn live(self) -> bool {
        self.at_live & 1 == 1
    }

    fn newer_than(self, other: Latest) -> bool {
        (self.at(), self.id) >= (other.at(), other.id)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Triples {
    /// Sorted by triple once loading ends; unsorted while it goes on.
    loaded: Vec<(Triple, Latest)>,
    added: Map<Triple, Latest>,
}

impl Triples {
    pub fn len(&self) -> usize {
        self.loaded.len() + self.added.len()
    }

    /// Adds a stored endorsement while loading; [`Triples::finish_load`] sorts them.
    pub fn load(&mut self, triple: Triple, latest: Latest) {
        self.loaded.push((triple, latest));
    }

    /// Sorts what was loaded and keeps each triple's latest endorsement: its live one if it has
    /// one (a topic merge can leave a younger revoked endorsement beside an older live one).
    pub fn finish_load(&mut self) {
        self.loaded
            .sort_unstable_by_key(|(t, l)| (*t, l.live(), l.at(), l.id));
        // After the sort the one kept is the last of its run.
        self.loaded.reverse();
        self.loaded.dedup_by_key(|(t, _)| *t);
        self.loaded.reverse();
        self.loaded.shrink_to_fit();
    }

    pub fn get(&self, triple: &Triple) -> Option<Latest> {
        if let Some(l) = self.added.get(triple) {
            return Some(*l);
        }
        self.find(triple).map(|i| self.loaded[i].1)
    }

    fn find(&self, triple: &Triple) -> Option<usize> {
        self.loaded.binary_search_by_key(triple, |(t, _)| *t).ok()
    }

    /// Records an endorsement of `triple`, if it is the latest one.
    pub fn note(&mut self, triple: Triple, latest: Latest) {
        if let Some(i) = self.find(&triple) {
            let slot = &mut self.loaded[i].1;
            if latest.newer_than(*slot) {
                *slot = latest;
            }
            return;
        }
        self.added
            .entry(triple)
            .and_modify(|l| {
                if latest.newer_than(*l) {
                    *l = latest;
                }
            })
            .or_insert(latest);
    }

    /// Marks endorsement `id` of `triple` revoked, if it is the triple's latest.
    pub fn revoke(&mut self, triple: Triple, id: i64) {
        let slot = match self.added.get_mut(&triple) {
            Some(l) => Some(l),
            None => self.find(&triple).map(|i| &mut self.loaded[i].1),
        };
        if let Some(l) = slot.filter(|l| l.id == id) {
            *l = Latest::new(id, l.at(), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaded_and_added_triples_keep_their_latest() {
        let mut t = Triples::default();
        t.load((1, 2, 3), Latest::new(5, 50, false));
        t.load((1, 2, 3), Latest::new(9, 90, true));
        t.load((1, 2, 3), Latest::new(7, 70, false));
        t.load((0, 0, 0), Latest::new(1, 10, true));
        t.finish_load();
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(&(1, 2, 3)), Some(Latest::new(9, 90, true)));
        t.note((1, 2, 3), Latest::new(8, 80, true));
        assert_eq!(
            t.get(&(1, 2, 3)).unwrap().id,
            9,
            "an older one changes nothing"
        );
        t.revoke((1, 2, 3), 9);
        assert!(!t.get(&(1, 2, 3)).unwrap().live());
        t.note((4, 5, 6), Latest::new(11, 110, true));
        t.revoke((4, 5, 6), 10);
        assert!(t.get(&(4, 5, 6)).unwrap().live(), "not its latest");
        assert_eq!(t.len(), 3);
    }
}
