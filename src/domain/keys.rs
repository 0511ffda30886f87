//! API keys and roles: generating keys, hashing them for storage, and what each role may do.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Rejection;

/// Prefix of every key, so a leaked key is recognisable by secret scanners.
pub const KEY_PREFIX: &str = "plusk_";

/// What a key is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A client app: writes endorsements, reads.
    App,
    /// Reviews flagged endorsements; reads.
    Moderator,
    /// Reads reputation; reads.
    Analyst,
    /// Everything, including keys.
    Admin,
}

/// Something a request wants to do, checked against the caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read endorsements, users, topics and the ledger.
    Read,
    /// Create and revoke endorsements.
    WriteEndorsements,
    /// Create, list and revoke API keys.
    ManageKeys,
    /// Review flagged endorsements.
    Moderate,
    /// Read reputation: scores, leaderboards, explanations, topic parameters.
    ReadReputation,
    /// Set topic seeds, force a recompute.
    Administer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::App, Role::Moderator, Role::Analyst, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::App => "app",
            Role::Moderator => "moderator",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::Read => true,
            Permission::WriteEndorsements => matches!(self, Role::App | Role::Admin),
            Permission::ManageKeys => self == Role::Admin,
            Permission::Moderate => matches!(self, Role::Moderator | Role::Admin),
            Permission::ReadReputation => matches!(self, Role::Analyst | Role::Admin),
            Permission::Administer => self == Role::Admin,
        }
    }
}

impl FromStr for Role {
    type Err = Rejection;

    fn from_str(s: &str) -> Result<Role, Rejection> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Rejection::InvalidRole(s.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A request quota: `per_sec` requests a second on average, with bursts of up to `burst`.
/// `per_sec == 0` means unlimited (trusted back-ends, benchmarks).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Rate {
    pub per_sec: u32,
    pub burst: u32,
}

/// Largest rate or burst accepted.
pub const MAX_RATE: u32 = 1_000_000;

impl Rate {
    pub const UNLIMITED: Rate = Rate {
        per_sec: 0,
        burst: 0,
    };

    /// Validates a quota; a missing or zero burst becomes one second's worth.
    pub fn new(per_sec: u32, burst: Option<u32>) -> Result<Rate, Rejection> {
        let burst = burst.filter(|b| *b > 0).unwrap_or(per_sec.max(1));
        if per_sec > MAX_RATE || burst > MAX_RATE {
            return Err(Rejection::InvalidRate(format!(
                "rate and burst are at most {MAX_RATE}"
            )));
        }
        Ok(if per_sec == 0 {
            Rate::UNLIMITED
        } else {
            Rate { per_sec, burst }
        })
    }

    pub fn is_unlimited(self) -> bool {
        self.per_sec == 0
    }
}

/// One field of a JSON merge patch (RFC 7396): absent keeps the value, `null` clears it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// A key's quota as stored: the rate, and the burst only when one was set (otherwise one
/// second's worth, which then follows the rate when it changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_sec: u32,
    pub burst: Option<u32>,
}

impl Quota {
    /// The quota in force.
    pub fn rate(self) -> Result<Rate, Rejection> {
        Rate::new(self.per_sec, self.burst)
    }

    /// `current` changed by a merge patch of its two fields: only what is sent changes; a
    /// cleared `rate_per_sec` returns the key to the server's defaults (`None`).
    pub fn patch(
        current: Option<Quota>,
        per_sec: Patch<u32>,
        burst: Patch<u32>,
    ) -> Result<Option<Quota>, Rejection> {
        let per_sec = match (per_sec, current) {
            (Patch::Set(r), _) => r,
            (Patch::Keep, Some(q)) => q.per_sec,
            (Patch::Clear, _) | (Patch::Keep, None) => {
                if let Patch::Set(_) = burst {
                    return Err(Rejection::InvalidRate(
                        "a burst needs a rate: this key uses the server's defaults, so send rate_per_sec with burst".into(),
                    ));
                }
                return Ok(None);
            }
        };
        let burst = match burst {
            Patch::Set(b) => Some(b),
            Patch::Clear => None,
            Patch::Keep => current.and_then(|q| q.burst),
        };
        let quota = Quota { per_sec, burst };
        let rate = quota.rate()?;
        // Unlimited has no burst to keep.
        Ok(Some(if rate.is_unlimited() {
            Quota {
                per_sec: 0,
                burst: None,
            }
        } else {
            quota
        }))
    }
}

/// A fresh key: the prefix and 256 bits from the operating system's CSPRNG.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a key. Keys carry 256 random bits, so a plain SHA-256 cannot be
/// reversed or brute-forced; no salt or slow hash is needed (unlike passwords).
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Compares two key hashes in constant time.
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::Patch::{Clear, Keep, Set};

    fn q(per_sec: u32, burst: Option<u32>) -> Option<Quota> {
        Some(Quota { per_sec, burst })
    }

    #[test]
    fn a_quota_patch_changes_only_what_is_sent() {
        let custom = q(10, Some(50));
        assert_eq!(Quota::patch(custom, Keep, Keep).unwrap(), custom);
        assert_eq!(Quota::patch(custom, Keep, Set(5)).unwrap(), q(10, Some(5)));
        assert_eq!(Quota::patch(custom, Set(2), Keep).unwrap(), q(2, Some(50)));
        assert_eq!(Quota::patch(custom, Keep, Clear).unwrap(), q(10, None));
        assert_eq!(Quota::patch(custom, Clear, Keep).unwrap(), None);
        assert_eq!(Quota::patch(None, Set(2), Keep).unwrap(), q(2, None));
        assert_eq!(Quota::patch(None, Keep, Keep).unwrap(), None);
        assert_eq!(Quota::patch(custom, Set(0), Keep).unwrap(), q(0, None));
    }

    #[test]
    fn a_burst_without_a_rate_is_refused() {
        for rate in [Keep, Clear] {
            let err = Quota::patch(None, rate, Set(5)).unwrap_err();
            assert_eq!(err.code(), "invalid_rate");
        }
        assert!(Quota::patch(q(1, None), Clear, Set(5)).is_err());
        assert!(Quota::patch(q(1, None), Keep, Set(MAX_RATE + 1)).is_err());
    }

    use super::*;

    #[test]
    fn keys_are_long_random_and_hash_stably() {
        let (a, b) = (generate_key(), generate_key());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(&a[KEY_PREFIX.len()..])
                .unwrap()
                .len(),
            32
        );
        assert!(hashes_match(&hash_key(&a), &hash_key(&a)));
        assert!(!hashes_match(&hash_key(&a), &hash_key(&b)));
        assert!(!hash_key(&a).contains(&a[KEY_PREFIX.len()..]));
    }

    #[test]
    fn roles_parse_and_gate() {
        assert_eq!("moderator".parse::<Role>(), Ok(Role::Moderator));
        assert!("root".parse::<Role>().is_err());
        assert!(Role::App.allows(Permission::WriteEndorsements));
        assert!(!Role::Analyst.allows(Permission::WriteEndorsements));
        assert!(!Role::App.allows(Permission::ManageKeys));
        assert!(Role::Admin.allows(Permission::ManageKeys));
    }
}

/// Everything stored about a key, as `ledger verify` checks it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyState {
    pub name: String,
    pub role: String,
    /// The stored SHA-256 of the key (never the key).
    pub key_hash: String,
    #[serde(with = "crate::domain::time::serde_micros")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "crate::domain::time::serde_micros_opt")]
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub rate_per_sec: Option<i32>,
    pub rate_burst: Option<i32>,
    /// Left out when unset, so digests recorded before global quotas existed still match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_per_minute: Option<i32>,
}

impl KeyState {
    /// Hex SHA-256 of the state's canonical JSON: what the ledger records of a key, since its
    /// role, hash and quota are not for every reader. The key hash in it has 256 bits of the
    /// key's randomness behind it, so the digest cannot be searched for a role or quota.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(
            crate::domain::ledger::canonical_json(self).as_bytes(),
        ))
    }
}
