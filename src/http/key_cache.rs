//! A short-lived in-memory cache of API key lookups, so a busy client's requests do not each
//! cost a database round-trip before any work starts.
//!
//! Entries live [`KEY_CACHE_TTL`]: a key revoked or re-rated through this instance's API takes
//! effect at once (the cache is cleared), one changed from the command line or another instance
//! within that time.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::service::Principal;

/// How long a lookup is trusted.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Most entries kept; past this the cache starts over, so random keys cannot grow it.
const MAX_ENTRIES: usize = 10_000;

/// Lookups by key hash: `Some` for a live key, `None` for an unknown or revoked one.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<String, (Option<Principal>, Instant)>>,
}

impl KeyCache {
    /// The cached lookup for `key_hash`, if fresh.
    pub fn get(&self, key_hash: &str) -> Option<Option<Principal>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (principal, at) = entries.get(key_hash)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| principal.clone())
    }

    pub fn put(&self, key_hash: String, principal: Option<Principal>) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key_hash, (principal, Instant::now()));
    }

    /// Forgets everything (after a key was revoked or changed).
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
