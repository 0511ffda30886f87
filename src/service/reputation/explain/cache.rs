//! Weighed explanations kept per run and user, so the users analysts look at most (those with
//! thousands of endorsers) are not weighed again on every request.
//!
//! The key holds the user's count of status changes among what they received (revoked, held,
//! decided, moved by a merge), kept in the database in the same transaction as the change: a
//! change made through any instance is seen by the next request on every instance. A new run is
//! a new key; old runs' entries age out.

use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

use super::weigh::Weighed;

/// Users with fewer endorsements than this are weighed on each request: it takes about a
/// millisecond, and they would crowd out the users worth keeping.
pub const CACHE_FROM: usize = 200;
/// Most contributions held in all, about 170 bytes each (some 70 MB).
pub const BUDGET: usize = 400_000;

/// What a weighed explanation is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub run: i32,
    pub user: i32,
    /// The user's `received_changes` when the explanation was weighed.
    pub changes: i64,
}

struct Held {
    changes: i64,
    weighed: Arc<Weighed>,
}

struct Inner {
    entries: LruCache<(i32, i32), Held>,
    /// Contributions in `entries`.
    size: usize,
}

/// The weighed explanations of one instance, least recently used out first.
pub struct Explanations {
    inner: Mutex<Inner>,
    from: usize,
    budget: usize,
}

impl Default for Explanations {
    fn default() -> Explanations {
        Explanations::new(CACHE_FROM, BUDGET)
    }
}

impl Explanations {
    /// Keeps explanations of at least `from` contributions, `budget` contributions in all.
    pub fn new(from: usize, budget: usize) -> Explanations {
        Explanations {
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                size: 0,
            }),
            from,
            budget,
        }
    }

    /// The explanation weighed for exactly this key, if kept.
    pub fn get(&self, key: &Key) -> Option<Arc<Weighed>> {
        let mut inner = self.inner.lock();
        let held = inner.entries.get(&(key.run, key.user))?;
        (held.changes == key.changes).then(|| held.weighed.clone())
    }

    /// Keeps `weighed` under `key` if it is worth keeping, evicting the least recently used.
    pub fn put(&self, key: Key, weighed: &Arc<Weighed>) {
        let size = weighed.size();
        if size < self.from || size > self.budget {
            return;
        }
        let mut inner = self.inner.lock();
        let held = Held {
            changes: key.changes,
            weighed: weighed.clone(),
        };
        if let Some(old) = inner.entries.put((key.run, key.user), held) {
            inner.size -= old.weighed.size();
        }
        inner.size += size;
        while inner.size > self.budget {
            match inner.entries.pop_lru() {
                Some((_, old)) => inner.size -= old.weighed.size(),
                None => break,
            }
        }
    }

    /// Contributions held now.
    pub fn size(&self) -> usize {
        self.inner.lock().size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reputation::Params;

    fn weighed(n: usize) -> Arc<Weighed> {
        let one = super::super::weigh::Weighted {
            endorser_id: 1,
            contribution: super::super::Contribution {
                endorsement_id: 1,
                endorser: String::new(),
                endorser_raw: 0.0,
                endorser_score: 0.0,
                status: crate::domain::endorsement::Status::Active,
                created_at: chrono::DateTime::UNIX_EPOCH,
                weight: 1.0,
                decay: 1.0,
                endorser_share: 1.0,
                contribution: 0.0,
                share: 0.0,
                flag_reasons: Vec::new(),
            },
        };
        Arc::new(Weighed {
            computed_at: chrono::DateTime::UNIX_EPOCH,
            raw: 0.0,
            score: 0.0,
            rank: 1,
            baseline: 0.0,
            params: Params::default(),
            counted: vec![one; n],
            discounted: Vec::new(),
        })
    }

    fn key(user: i32, changes: i64) -> Key {
        Key {
            run: 1,
            user,
            changes,
        }
    }

    #[test]
    fn a_change_count_that_moved_misses() {
        let cache = Explanations::new(2, 100);
        cache.put(key(7, 0), &weighed(10));
        assert!(cache.get(&key(7, 0)).is_some());
        assert!(
            cache.get(&key(7, 1)).is_none(),
            "changed since it was weighed"
        );
        cache.put(key(7, 1), &weighed(10));
        assert!(cache.get(&key(7, 1)).is_some());
        assert_eq!(cache.size(), 10, "replaced, not added");
    }

    #[test]
    fn small_ones_are_not_kept_and_the_budget_holds() {
        let cache = Explanations::new(5, 25);
        cache.put(key(1, 0), &weighed(4));
        assert!(cache.get(&key(1, 0)).is_none(), "below the threshold");
        cache.put(key(2, 0), &weighed(30));
        assert!(
            cache.get(&key(2, 0)).is_none(),
            "larger than the whole budget"
        );
        for user in 3..6 {
            cache.put(key(user, 0), &weighed(10));
        }
        assert_eq!(cache.size(), 20);
        assert!(
            cache.get(&key(3, 0)).is_none(),
            "the least recently used went"
        );
        assert!(cache.get(&key(5, 0)).is_some());
    }
}
