//! Console sessions: an opaque random id in a cookie, everything else on the server.
//!
//! Sessions live in this process's memory: they do not survive a restart and are not shared
//! between instances (each instance signs its own users in). That keeps the key out of the
//! browser and needs no table; a deployment behind a load balancer needs sticky sessions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use parking_lot::Mutex;
use subtle::ConstantTimeEq;

use crate::domain::keys::Role;

/// Default idle time after which a session ends.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(12 * 3600);

/// Most sessions kept at once; past it the longest idle is dropped first, so a flood of
/// sign-ins cannot grow memory without bound.
const MAX_SESSIONS: usize = 10_000;

/// 256 bits from the operating system, URL-safe: session ids and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares two tokens in constant time.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Who a session belongs to and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    /// The key that signed in; checked against the database on every request, so a revoked
    /// key's sessions end at their next request.
    pub key_id: i32,
    /// The key's name, shown in the header and recorded on reviews.
    pub name: String,
    pub role: Role,
    /// The CSRF token every state-changing form of this session carries.
    pub csrf: String,
    /// Last request seen, for the idle expiry.
    last_seen: Instant,
}

/// The sessions of this instance.
#[derive(Debug)]
pub struct Sessions {
    /// How long a session may sit unused before it ends.
    idle: Duration,
    by_id: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            idle,
            by_id: Mutex::default(),
        }
    }

    pub fn idle(&self) -> Duration {
        self.idle
    }

    /// Opens a session and returns its id.
    pub fn open(&self, key_id: i32, name: String, role: Role) -> String {
        let id = random_token();
        let session = Session {
            key_id,
            name,
            role,
            csrf: random_token(),
            last_seen: Instant::now(),
        };
        let mut map = self.by_id.lock();
        self.sweep(&mut map);
        map.insert(id.clone(), session);
        id
    }

    /// The live session with this id, its idle clock restarted; an expired one is removed.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let mut map = self.by_id.lock();
        let now = Instant::now();
        match map.get_mut(id) {
            Some(s) if now.duration_since(s.last_seen) < self.idle => {
                s.last_seen = now;
                Some(s.clone())
            }
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends one session.
    pub fn close(&self, id: &str) {
        self.by_id.lock().remove(id);
    }

    /// Ends every session of a key (it was revoked).
    pub fn close_key(&self, key_id: i32) {
        self.by_id.lock().retain(|_, s| s.key_id != key_id);
    }

    /// Drops expired sessions, and the longest idle ones beyond the cap.
    fn sweep(&self, map: &mut HashMap<String, Session>) {
        let now = Instant::now();
        map.retain(|_, s| now.duration_since(s.last_seen) < self.idle);
        while map.len() >= MAX_SESSIONS {
            let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            map.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_open_expire_and_close() {
        let store = Sessions::new(Duration::from_millis(50));
        let id = store.open(7, "mia".into(), Role::Moderator);
        let s = store.touch(&id).expect("fresh session");
        assert_eq!((s.key_id, s.role), (7, Role::Moderator));
        assert_ne!(s.csrf, id, "the CSRF token is not the session id");
        assert!(store.touch("forged").is_none());
        std::thread::sleep(Duration::from_millis(80));
        assert!(store.touch(&id).is_none(), "idle past the limit");
        let a = store.open(1, "a".into(), Role::Admin);
        let b = store.open(2, "b".into(), Role::Analyst);
        store.close_key(1);
        assert!(store.touch(&a).is_none());
        assert!(store.touch(&b).is_some());
        store.close(&b);
        assert!(store.touch(&b).is_none());
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&a, &b));
        assert!(!tokens_match(&a, &a[..10]));
    }
}
