//! A short-lived in-memory cache of API key lookups, so a busy client's requests do not each
//! cost a database round-trip before any work starts.
//!
//! Entries live [`KEY_CACHE_TTL`]: a key revoked or re-rated through this instance's API takes
//! effect at once (the cache is cleared), one changed from the command line or another instance
//! within that time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::service::Principal;

/// How long a lookup is trusted.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Most entries kept. Past this the unknown keys are dropped (random keys cannot grow the
/// cache); live keys, as many as the database holds, are kept.
const MAX_ENTRIES: usize = 10_000;

/// Lookups by key hash: `Some` for a live key, `None` for an unknown or revoked one.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<String, (Option<Principal>, Instant)>>,
    /// Moves on every [`KeyCache::clear`]: a lookup that started before a clear must not put
    /// back what the clear removed (a key revoked while its lookup was in flight).
    generation: AtomicU64,
}

impl KeyCache {
    /// The cached lookup for `key_hash`, if fresh.
    pub fn get(&self, key_hash: &str) -> Option<Option<Principal>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (principal, at) = entries.get(key_hash)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| principal.clone())
    }

    /// Take this before looking a key up in the database, and give it to [`KeyCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a lookup made at `generation`, unless the cache was cleared since.
    pub fn put(&self, key_hash: String, principal: Option<Principal>, generation: u64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        // Read under the write lock: `clear` moves the generation under the same lock.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (p, _)| p.is_some());
        }
        if entries.len() < MAX_ENTRIES || principal.is_some() {
            entries.insert(key_hash, (principal, Instant::now()));
        }
    }

    /// Forgets everything (after a key was revoked or changed).
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
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
        for i in 0..3 * MAX_ENTRIES {
            cache.put(format!("random{i}"), None, cache.generation());
        }
        assert!(cache.get("live").is_some_and(|p| p.is_some()));
        assert!(cache.entries.read().unwrap().len() <= MAX_ENTRIES);
    }
}
