//! A short-lived in-memory cache of API key lookups, so a busy client's requests do not each
//! cost a database round-trip before any work starts.
//!
//! Entries live [`KEY_CACHE_TTL`]: a key revoked or re-rated through this instance's API takes
//! effect at once (the cache is cleared), one changed from the command line or another instance
//! within that time.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::service::Principal;

/// How long a lookup is trusted.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Most unknown keys remembered; past this the least recently seen is forgotten. Live keys are
/// kept apart, as many as the database holds, so no flood of random keys evicts one.
const MAX_UNKNOWN: usize = 10_000;

/// Lookups by key hash: live keys in one map, unknown or revoked ones in a bounded LRU.
pub struct KeyCache {
    live: RwLock<HashMap<String, (Principal, Instant)>>,
    unknown: Mutex<LruCache<String, Instant>>,
    /// Moves on every [`KeyCache::clear`]: a lookup that started before a clear must not put
    /// back what the clear removed (a key revoked while its lookup was in flight).
    generation: AtomicU64,
}

impl Default for KeyCache {
    fn default() -> KeyCache {
        let cap = NonZeroUsize::new(MAX_UNKNOWN).unwrap_or(NonZeroUsize::MIN);
        KeyCache {
            live: RwLock::default(),
            unknown: Mutex::new(LruCache::new(cap)),
            generation: AtomicU64::new(0),
        }
    }
}

impl KeyCache {
    /// The cached lookup for `key_hash`, if fresh: `Some(Some(p))` a live key, `Some(None)` a
    /// key known to be unknown or revoked, `None` not cached.
    pub fn get(&self, key_hash: &str) -> Option<Option<Principal>> {
        {
            let live = self.live.read().unwrap_or_else(|e| e.into_inner());
            if let Some((principal, at)) = live.get(key_hash) {
                return (at.elapsed() < KEY_CACHE_TTL).then(|| Some(principal.clone()));
            }
        }
        let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        let at = unknown.get(key_hash)?;
        (at.elapsed() < KEY_CACHE_TTL).then_some(None)
    }

    /// Take this before looking a key up in the database, and give it to [`KeyCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a lookup made at `generation`, unless the cache was cleared since.
    pub fn put(&self, key_hash: String, principal: Option<Principal>, generation: u64) {
        // The generation is read under the lock written to: `clear` moves it holding both.
        match principal {
            Some(p) => {
                let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
                if self.generation.load(Ordering::Acquire) == generation {
                    live.insert(key_hash, (p, Instant::now()));
                }
            }
            None => {
                let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
                if self.generation.load(Ordering::Acquire) == generation {
                    unknown.put(key_hash, Instant::now());
                }
            }
        }
    }

    /// Forgets everything (after a key was revoked or changed).
    pub fn clear(&self) {
        let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
        let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        live.clear();
        unknown.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::Role;

    fn principal() -> Principal {
        Principal {
            key_id: 1,
            name: "app".into(),
            role: Role::App,
            rate: None,
            global_per_minute: None,
        }
    }

    #[test]
    fn a_lookup_that_started_before_a_clear_is_not_cached() {
        let cache = KeyCache::default();
        let before = cache.generation();
        // The key is revoked (and the cache cleared) while its lookup is in flight.
        cache.clear();
        cache.put("h".into(), Some(principal()), before);
        assert_eq!(cache.get("h"), None, "the revoked key did not come back");
        cache.put("h".into(), Some(principal()), cache.generation());
        assert!(cache.get("h").is_some_and(|p| p.is_some()));
    }

    #[test]
    fn floods_of_unknown_keys_never_evict_live_ones() {
        let cache = KeyCache::default();
        cache.put("live".into(), Some(principal()), cache.generation());
        for i in 0..3 * MAX_UNKNOWN {
            cache.put(format!("random{i}"), None, cache.generation());
        }
        assert!(cache.get("live").is_some_and(|p| p.is_some()));
        assert!(cache.unknown.lock().unwrap().len() <= MAX_UNKNOWN);
    }

    #[test]
    fn an_unknown_key_seen_again_and_again_stays_cached_through_a_flood() {
        let cache = KeyCache::default();
        cache.put("wrong".into(), None, cache.generation());
        for i in 0..3 * MAX_UNKNOWN {
            cache.put(format!("random{i}"), None, cache.generation());
            if i % 1000 == 0 {
                assert_eq!(cache.get("wrong"), Some(None), "a recent miss is kept");
            }
        }
        assert_eq!(cache.get("wrong"), Some(None));
        assert_eq!(
            cache.get("random0"),
            None,
            "the least recently seen went first"
        );
    }
}
