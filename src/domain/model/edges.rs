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
    given: Map<i32, Vec<Half>>,
    received: Map<i32, Vec<Half>>,
    count: usize,
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
        insert_sorted(self.given.entry(from).or_default(), half(to));
        insert_sorted(self.received.entry(to).or_default(), half(from));
        self.count += 1;
    }

    pub fn revoke(&mut self, id: i64, (from, to, _): Triple) {
        for list in [self.given.get_mut(&from), self.received.get_mut(&to)]
            .into_iter()
            .flatten()
        {
            if let Some(h) = list.iter_mut().rev().find(|h| h.id == id) {
                h.revoked = true;
            }
        }
    }

    pub fn given(&self, user: i32) -> &[Half] {
        self.given.get(&user).map_or(&[], Vec::as_slice)
    }

    pub fn received(&self, user: i32) -> &[Half] {
        self.received.get(&user).map_or(&[], Vec::as_slice)
    }

    /// Drops every edge older than `horizon`.
    pub fn prune(&mut self, horizon: Micros) {
        let mut dropped = 0;
        for lists in [&mut self.given, &mut self.received] {
            lists.retain(|_, list| {
                let old = list.partition_point(|h| h.at < horizon);
                list.drain(..old);
                dropped += old;
                !list.is_empty()
            });
        }
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
