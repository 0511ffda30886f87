//! Recent endorsements as each user's lists of edges given and received, sorted by time, so a
//! window is two binary searches away.

use super::{Map, Micros, Triple};

/// One endorsement seen from one end: the other user, the topic, when, and whether revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Half {
    pub at: Micros,
    pub id: i64,
    /// The endorsee in a list of edges given, the endorser in a list of edges received.
    pub other: i32,
    pub topic: i32,
    pub revoked: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Edges {
    given: Lists,
    received: Lists,
    count: usize,
}

/// A list per user, found by the user's id. Ids are dense (the writer numbers users from 1),
/// so a vector indexed by id replaces a hash map: the burst detector reads the lists of fifty
/// endorsers per write, and each probe of a large map was a cache miss of its own. An id that
/// is no index (negative) goes to a map beside it.
#[derive(Debug, Clone, Default)]
struct Lists {
    by_id: Vec<Vec<Half>>,
    other: Map<i32, Vec<Half>>,
}

impl Lists {
    fn get(&self, user: i32) -> &[Half] {
        let list = match usize::try_from(user) {
            Ok(i) => self.by_id.get(i),
            Err(_) => self.other.get(&user),
        };
        list.map_or(&[], Vec::as_slice)
    }

    fn get_mut(&mut self, user: i32) -> Option<&mut Vec<Half>> {
        match usize::try_from(user) {
            Ok(i) => self.by_id.get_mut(i),
            Err(_) => self.other.get_mut(&user),
        }
    }

    fn entry(&mut self, user: i32) -> &mut Vec<Half> {
        match usize::try_from(user) {
            Ok(i) => {
                if i >= self.by_id.len() {
                    self.by_id.resize_with(i + 1, Vec::new);
                }
                &mut self.by_id[i]
            }
            Err(_) => self.other.entry(user).or_default(),
        }
    }

    /// Drops every edge older than `horizon`; returns how many.
    fn prune(&mut self, horizon: Micros) -> usize {
        let mut dropped = 0;
        let mut cut = |list: &mut Vec<Half>| {
            let old = list.partition_point(|h| h.at < horizon);
            list.drain(..old);
            dropped += old;
            if list.is_empty() {
                // Give the memory back: most users are quiet most of the time.
                *list = Vec::new();
            }
        };
        self.by_id.iter_mut().for_each(&mut cut);
        self.other.values_mut().for_each(&mut cut);
        self.other.retain(|_, list| !list.is_empty());
        dropped
    }
}

impl Edges {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn insert(&mut self, id: i64, (from, to, topic): Triple, at: Micros, revoked: bool) {
        let half = |other| Half {
            at,
            id,
            other,
            topic,
            revoked,
        };
        insert_sorted(self.given.entry(from), half(to));
        insert_sorted(self.received.entry(to), half(from));
        self.count += 1;
    }

    pub fn revoke(&mut self, id: i64, (from, to, _): Triple) {
        for list in [self.given.get_mut(from), self.received.get_mut(to)]
            .into_iter()
            .flatten()
        {
            if let Some(h) = list.iter_mut().rev().find(|h| h.id == id) {
                h.revoked = true;
            }
        }
    }

    pub fn given(&self, user: i32) -> &[Half] {
        self.given.get(user)
    }

    pub fn received(&self, user: i32) -> &[Half] {
        self.received.get(user)
    }

    /// Drops every edge older than `horizon`.
    pub fn prune(&mut self, horizon: Micros) {
        let dropped = self.given.prune(horizon) + self.received.prune(horizon);
        // Each edge sits in two lists.
        self.count -= dropped / 2;
    }
}

/// Live traffic arrives in time order, so this is nearly always a push; imports of history out
/// of order still land in place.
fn insert_sorted(list: &mut Vec<Half>, h: Half) {
    if list
        .last()
        .is_none_or(|last| (last.at, last.id) <= (h.at, h.id))
    {
        list.push(h);
    } else {
        let at = list.partition_point(|x| (x.at, x.id) <= (h.at, h.id));
        list.insert(at, h);
    }
}

/// The part of a sorted list with `from <= at <= to`.
pub fn span(list: &[Half], from: Micros, to: Micros) -> &[Half] {
    let lo = list.partition_point(|h| h.at < from);
    let hi = list.partition_point(|h| h.at <= to);
    &list[lo..hi.max(lo)]
}
