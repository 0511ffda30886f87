//! Request rate limits: governor's GCRA, one bucket per API key, or per client IP for requests
//! without a valid key, with separate quotas for writes and reads.
//!
//! These protect one instance from floods. The daily endorsement budget, kept in the database,
//! stays the authoritative per-user quota across instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::http::Method;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::domain::keys::Rate;

/// Which quota a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
}

impl Class {
    pub fn of(method: &Method) -> Class {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Class::Read
        } else {
            Class::Write
        }
    }
}

/// Whose bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identity {
    Key(i32),
    /// A client without a valid key, by address (see [`Identity::client`]).
    Ip(IpAddr),
    /// Every keyless client past [`MAX_CLIENT_BUCKETS`], together: a flood of fresh addresses
    /// cannot grow the limiter's memory without bound.
    Crowd,
}

impl Identity {
    /// The bucket of a keyless client at `ip`. An IPv6 client is its /64: one subscriber or
    /// host gets a whole /64 and can draw a fresh address from it for every request.
    pub fn client(ip: IpAddr) -> Identity {
        match ip {
            IpAddr::V4(_) => Identity::Ip(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Identity::Ip(IpAddr::V4(v4)),
                None => Identity::Ip(IpAddr::V6((u128::from(v6) & !0u128 >> 64 << 64).into())),
            },
        }
    }
}

/// Most keyless clients with a bucket of their own, per quota (about 100 bytes each).
pub const MAX_CLIENT_BUCKETS: usize = 100_000;

/// The server-wide default quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    pub write: Rate,
    pub read: Rate,
}

impl RateSettings {
    /// No limits at all (tests of other features, benchmarks).
    pub const OFF: RateSettings = RateSettings {
        write: Rate::UNLIMITED,
        read: Rate::UNLIMITED,
    };
}

type Keyed = RateLimiter<
    Identity,
    DefaultKeyedStateStore<Identity>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// Limiters for writes and reads with one pair of quotas; `None` = unlimited.
struct Pair {
    write: Option<Keyed>,
    read: Option<Keyed>,
}

fn limiter(rate: Rate) -> Option<Keyed> {
    let per_sec = NonZeroU32::new(rate.per_sec)?;
    let burst = NonZeroU32::new(rate.burst).unwrap_or(per_sec);
    let quota = Quota::per_second(per_sec).allow_burst(burst);
    Some(RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>())
}

impl Pair {
    fn new(write: Rate, read: Rate) -> Pair {
        Pair {
            write: limiter(write),
            read: limiter(read),
        }
    }

    fn get(&self, class: Class) -> Option<&Keyed> {
        match class {
            Class::Write => self.write.as_ref(),
            Class::Read => self.read.as_ref(),
        }
    }

    fn all(&self) -> impl Iterator<Item = &Keyed> {
        self.write.iter().chain(self.read.iter())
    }
}

/// What the limiter decided, with the `RateLimit-*` figures to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No quota applies (a key with an unlimited quota, or limits switched off).
    Unlimited,
    Allowed {
        limit: u32,
        remaining: u32,
        reset_secs: u64,
    },
    Denied {
        limit: u32,
        retry_after_secs: u64,
    },
}

fn secs_ceil(d: Duration) -> u64 {
    d.as_micros().div_ceil(1_000_000) as u64
}

impl Decision {
    pub fn is_denied(&self) -> bool {
        matches!(self, Decision::Denied { .. })
    }

    /// Adds `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (and `Retry-After`
    /// when denied). `Reset` is the seconds until the bucket is full again.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let (limit, remaining, reset) = match *self {
            Decision::Unlimited => return,
            Decision::Allowed {
                limit,
                remaining,
                reset_secs,
            } => (limit, remaining, reset_secs),
            Decision::Denied {
                limit,
                retry_after_secs,
            } => {
                headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
                (limit, 0, retry_after_secs)
            }
        };
        headers.insert(
            HeaderName::from_static("ratelimit-limit"),
            HeaderValue::from(limit),
        );
        headers.insert(
            HeaderName::from_static("ratelimit-remaining"),
            HeaderValue::from(remaining),
        );
        headers.insert(
            HeaderName::from_static("ratelimit-reset"),
            HeaderValue::from(reset),
        );
    }
}

/// How many key lookups a client address may cause, against its read or write quota,
/// whichever is larger: generous, since a live key is looked up again only once a second.
const LOOKUPS_PER_QUOTA: u32 = 4;

/// Every bucket of this instance.
pub struct Limiters {
    defaults: Pair,
    /// Database lookups of keys not in the cache, per client address: checked before the
    /// lookup, so a flood of random keys costs the database at most this much.
    lookups: Option<Keyed>,
    /// Keyless clients with a bucket of their own, at most; the rest share [`Identity::Crowd`].
    client_cap: usize,
    /// Keys an admin gave their own quota, grouped by quota.
    custom: RwLock<HashMap<Rate, Arc<Pair>>>,
    clock: DefaultClock,
}

impl Limiters {
    pub fn new(settings: RateSettings) -> Limiters {
        let larger = |f: fn(&Rate) -> u32| f(&settings.read).max(f(&settings.write));
        let lookups = match (settings.read.is_unlimited(), settings.write.is_unlimited()) {
            (true, _) | (_, true) => None,
            _ => limiter(Rate {
                per_sec: larger(|r| r.per_sec).saturating_mul(LOOKUPS_PER_QUOTA),
                burst: larger(|r| r.burst).saturating_mul(LOOKUPS_PER_QUOTA),
            }),
        };
        Limiters {
            defaults: Pair::new(settings.write, settings.read),
            lookups,
            client_cap: MAX_CLIENT_BUCKETS,
            custom: RwLock::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// The same limiters with another cap on keyless clients' buckets (tests).
    pub fn with_client_cap(mut self, cap: usize) -> Limiters {
        self.client_cap = cap;
        self
    }

    /// Draws one request from the bucket of `who`; `own` is a key's own quota, if it has one.
    pub fn check(&self, who: Identity, class: Class, own: Option<Rate>) -> Decision {
        match own {
            None => {
                let limiter = self.defaults.get(class);
                let full = limiter.is_some_and(|l| l.len() >= self.client_cap);
                let who = match who {
                    Identity::Ip(_) if full => Identity::Crowd,
                    other => other,
                };
                self.decide(limiter, who)
            }
            Some(rate) if rate.is_unlimited() => Decision::Unlimited,
            Some(rate) => {
                let pair = self.custom_pair(rate);
                self.decide(pair.get(class), who)
            }
        }
    }

    /// Draws one key lookup from the bucket of the client at `ip` (see [`Limiters::lookups`]).
    pub fn check_lookup(&self, ip: IpAddr) -> Decision {
        let who = match Identity::client(ip) {
            _ if self
                .lookups
                .as_ref()
                .is_some_and(|l| l.len() >= self.client_cap) =>
            {
                Identity::Crowd
            }
            who => who,
        };
        self.decide(self.lookups.as_ref(), who)
    }

    fn custom_pair(&self, rate: Rate) -> Arc<Pair> {
        if let Some(pair) = self
            .custom
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&rate)
        {
            return pair.clone();
        }
        let mut map = self.custom.write().unwrap_or_else(|e| e.into_inner());
        map.entry(rate)
            .or_insert_with(|| Arc::new(Pair::new(rate, rate)))
            .clone()
    }

    fn decide(&self, limiter: Option<&Keyed>, who: Identity) -> Decision {
        let Some(limiter) = limiter else {
            return Decision::Unlimited;
        };
        match limiter.check_key(&who) {
            Ok(state) => {
                let quota = state.quota();
                let limit = quota.burst_size().get();
                let remaining = state.remaining_burst_capacity();
                let refill = quota.replenish_interval() * (limit - remaining.min(limit));
                Decision::Allowed {
                    limit,
                    remaining,
                    reset_secs: secs_ceil(refill),
                }
            }
            Err(not_until) => Decision::Denied {
                limit: not_until.quota().burst_size().get(),
                retry_after_secs: secs_ceil(not_until.wait_time_from(self.clock.now())).max(1),
            },
        }
    }

    /// Buckets held in memory.
    pub fn len(&self) -> usize {
        let custom = self.custom.read().unwrap_or_else(|e| e.into_inner());
        self.defaults
            .all()
            .chain(self.lookups.iter())
            .chain(custom.values().flat_map(|p| p.all()))
            .map(|l| l.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the buckets of identities idle long enough to be full again (they would start
    /// fresh anyway), so memory follows active clients, not every client ever seen.
    pub fn sweep(&self) {
        let custom = self.custom.read().unwrap_or_else(|e| e.into_inner());
        for l in self
            .defaults
            .all()
            .chain(self.lookups.iter())
            .chain(custom.values().flat_map(|p| p.all()))
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Sweeps `limiters` every `every` on a background thread, until they are dropped.
pub fn spawn_sweeper(limiters: &Arc<Limiters>, every: Duration) {
    let weak: Weak<Limiters> = Arc::downgrade(limiters);
    let spawned = std::thread::Builder::new()
        .name("plusk-limiter-sweep".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            match weak.upgrade() {
                Some(l) => l.sweep(),
                None => return,
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the rate-limiter sweeper; idle buckets will not be dropped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_sec: u32, burst: u32) -> Rate {
        Rate { per_sec, burst }
    }

    #[test]
    fn allows_the_burst_then_denies_with_retry_after() {
        let l = Limiters::new(RateSettings {
            write: rate(1, 3),
            read: rate(100, 100),
        });
        let who = Identity::Key(1);
        let first = l.check(who, Class::Write, None);
        assert_eq!(
            first,
            Decision::Allowed {
                limit: 3,
                remaining: 2,
                reset_secs: 1
            }
        );
        assert!(!l.check(who, Class::Write, None).is_denied());
        assert!(!l.check(who, Class::Write, None).is_denied());
        assert_eq!(
            l.check(who, Class::Write, None),
            Decision::Denied {
                limit: 3,
                retry_after_secs: 1
            }
        );
        assert!(
            !l.check(who, Class::Read, None).is_denied(),
            "reads have their own bucket"
        );
        assert!(
            !l.check(Identity::Key(2), Class::Write, None).is_denied(),
            "so does every key"
        );
    }

    #[test]
    fn own_quota_and_unlimited_keys() {
        let l = Limiters::new(RateSettings {
            write: rate(1, 1),
            read: rate(1, 1),
        });
        let who = Identity::Key(7);
        for _ in 0..50 {
            assert_eq!(
                l.check(who, Class::Write, Some(Rate::UNLIMITED)),
                Decision::Unlimited
            );
        }
        assert!(!l.check(who, Class::Write, Some(rate(10, 5))).is_denied());
        assert!(matches!(
            l.check(who, Class::Write, Some(rate(10, 5))),
            Decision::Allowed {
                limit: 5,
                remaining: 3,
                ..
            }
        ));
        assert_eq!(RateSettings::OFF.write, Rate::UNLIMITED);
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_past_the_cap_clients_share_a_bucket() {
        let v6 = |s: &str| Identity::client(s.parse().unwrap());
        assert_eq!(v6("2001:db8::1"), v6("2001:db8::ffff:ffff:ffff:ffff"));
        assert_ne!(v6("2001:db8::1"), v6("2001:db8:0:1::1"));
        assert_eq!(v6("::ffff:198.51.100.7"), v6("198.51.100.7"));
        assert_ne!(v6("198.51.100.7"), v6("198.51.100.8"));

        let l = Limiters::new(RateSettings {
            write: rate(1000, 1000),
            read: rate(1, 1),
        })
        .with_client_cap(10);
        for i in 0..1000u32 {
            l.check(
                Identity::client(IpAddr::from(i.to_be_bytes())),
                Class::Read,
                None,
            );
        }
        assert!(l.len() <= 11, "{} buckets", l.len());
    }

    #[test]
    fn sweep_drops_idle_buckets() {
        let l = Limiters::new(RateSettings {
            write: rate(1000, 1000),
            read: rate(1000, 1000),
        });
        for i in 0..500u32 {
            l.check(
                Identity::Ip(IpAddr::from(i.to_be_bytes())),
                Class::Read,
                None,
            );
        }
        assert_eq!(l.len(), 500);
        std::thread::sleep(Duration::from_millis(20));
        l.sweep();
        assert_eq!(l.len(), 0);
    }
}
