//! The tamper-evident ledger: what an entry is, how it is hashed, and how a chain is checked.
//!
//! `hash = SHA-256(prev_hash ‖ "\n" ‖ JCS({"seq", "kind", "at", "payload"}))`, hex-encoded, where
//! JCS is RFC 8785 canonical JSON and the first entry's `prev_hash` is 64 zeros. The payload is
//! stored as its own canonical JSON text, or rebuilt from the row it created (see
//! [`stores_payload`]), so any change to a stored entry or that row changes its hash.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::time;

/// `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub const ENDORSEMENT_CREATED: &str = "endorsement.created";
pub const ENDORSEMENT_REVOKED: &str = "endorsement.revoked";
pub const SOLICITATION_RECORDED: &str = "solicitation.recorded";
pub const FLAG_RAISED: &str = "flag.raised";
pub const FLAG_REVIEWED: &str = "flag.reviewed";
pub const SEEDS_SET: &str = "topic.seeds_set";
pub const TOPIC_CREATED: &str = "topic.created";
pub const KEY_CHANGED: &str = "key.changed";
pub const TOPIC_MERGED: &str = "topic.merged";

/// A ledger payload, which names its own kind: an entry cannot be appended with a payload of
/// another kind's shape.
pub trait Payload: Serialize {
    const KIND: &'static str;

    /// The payload's RFC 8785 canonical JSON: the text its entry's hash covers.
    fn canonical(&self) -> String {
        canonical_json(self)
    }
}

macro_rules! payload_kind {
    ($($t:ty => $kind:ident),* $(,)?) => {
        $(impl Payload for $t {
            const KIND: &'static str = $kind;
        })*
    };
}

payload_kind!(
    Revoked => ENDORSEMENT_REVOKED,
    SolicitationRecorded => SOLICITATION_RECORDED,
    FlagReviewed => FLAG_REVIEWED,
    SeedsSet => SEEDS_SET,
    TopicCreated => TOPIC_CREATED,
    KeyChanged => KEY_CHANGED,
    TopicMerged => TOPIC_MERGED,
);

/// Every kind of entry, in the order the README documents them.
pub const KINDS: [&str; 9] = [
    ENDORSEMENT_CREATED,
    ENDORSEMENT_REVOKED,
    SOLICITATION_RECORDED,
    FLAG_RAISED,
    FLAG_REVIEWED,
    SEEDS_SET,
    TOPIC_CREATED,
    TOPIC_MERGED,
    KEY_CHANGED,
];

/// Whether entries of `kind` keep their payload in the ledger table. `endorsement.created` does
/// not: its payload says nothing its endorsement row (id = the entry's seq) and the handles and
/// slug that row names do not, so it is rebuilt from them on reading. The hash still covers it:
/// editing the row breaks the chain at that entry, as editing a stored payload would. Most
/// entries are of this kind, and this halves what each one writes.
pub fn stores_payload(kind: &str) -> bool {
    kind != ENDORSEMENT_CREATED
}

/// One ledger entry, with its payload (stored or rebuilt) and the previous entry's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    /// Canonical JSON text.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The payload of `endorsement.created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Created {
    pub id: i64,
    pub endorser: String,
    pub endorsee: String,
    pub topic: String,
    pub note: Option<String>,
    #[serde(with = "super::time::serde_micros")]
    pub created_at: DateTime<Utc>,
    /// Name of the API key that created it; `None` for imports.
    pub created_by: Option<String>,
}

/// Written member by member in the canonical order rather than through a `serde_json::Value`:
/// most of the chain is these entries, and building and walking the map was a quarter of a
/// bulk import's judging. The tests compare it with [`canonical_json`] on many payloads.
impl Payload for Created {
    const KIND: &'static str = ENDORSEMENT_CREATED;

    fn canonical(&self) -> String {
        let optional = |out: &mut String, s: &Option<String>| match s {
            Some(s) => jcs::write_str(out, s),
            None => out.push_str("null"),
        };
        let mut out = String::with_capacity(128);
        out.push_str("{\"created_at\":");
        jcs::write_str(&mut out, &time::format(self.created_at));
        out.push_str(",\"created_by\":");
        optional(&mut out, &self.created_by);
        out.push_str(",\"endorsee\":");
        jcs::write_str(&mut out, &self.endorsee);
        out.push_str(",\"endorser\":");
        jcs::write_str(&mut out, &self.endorser);
        out.push_str(",\"id\":");
        jcs::write_number(&mut out, &self.id.into());
        out.push_str(",\"note\":");
        optional(&mut out, &self.note);
        out.push_str(",\"topic\":");
        jcs::write_str(&mut out, &self.topic);
        out.push('}');
        out
    }
}

/// The payload of `endorsement.revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoked {
    pub id: i64,
    #[serde(with = "super::time::serde_micros")]
    pub revoked_at: DateTime<Utc>,
    /// Name of the API key that revoked it.
    pub by: Option<String>,
}

/// The payload of `solicitation.recorded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolicitationRecorded {
    pub id: i64,
    pub requester: String,
    pub target: Option<String>,
    pub topic: Option<String>,
    pub text: String,
    pub channel: Option<String>,
    #[serde(with = "super::time::serde_micros")]
    pub observed_at: DateTime<Utc>,
    pub begging: bool,
    pub score: f64,
    pub cues: Vec<String>,
    pub language: String,
    /// Name of the API key that reported it.
    pub reported_by: Option<String>,
}

/// The payload of `flag.raised`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagRaised {
    pub id: i64,
    pub endorsement_id: i64,
    pub reason: String,
    pub score: f64,
    pub evidence: serde_json::Value,
    /// The endorsement's status once the flag is raised.
    pub endorsement_status: String,
}

/// Written member by member, as [`Created`] is: a crowd's endorsements are flagged as they
/// arrive, and a `serde_json::Value` of the whole payload copied its evidence once more; and a
/// flag row's entry is rebuilt this way on every read of the chain.
impl Payload for FlagRaised {
    const KIND: &'static str = FLAG_RAISED;

    fn canonical(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"endorsement_id\":");
        jcs::write_number(&mut out, &self.endorsement_id.into());
        out.push_str(",\"endorsement_status\":");
        jcs::write_str(&mut out, &self.endorsement_status);
        out.push_str(",\"evidence\":");
        jcs::write_value(&mut out, &self.evidence);
        out.push_str(",\"id\":");
        jcs::write_number(&mut out, &self.id.into());
        out.push_str(",\"reason\":");
        jcs::write_str(&mut out, &self.reason);
        out.push_str(",\"score\":");
        // serde writes a score JSON cannot hold (NaN, infinite) as null.
        match serde_json::Number::from_f64(self.score) {
            Some(n) => jcs::write_number(&mut out, &n),
            None => out.push_str("null"),
        }
        out.push('}');
        out
    }
}

/// The payload of `flag.reviewed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagReviewed {
    pub flag_id: i64,
    pub endorsement_id: i64,
    pub decision: String,
    pub note: Option<String>,
    pub by: String,
    /// The endorsement's status after the review.
    pub endorsement_status: String,
}

/// The payload of `topic.seeds_set`: a topic's seeds, replaced as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedsSet {
    pub topic: String,
    /// Handles, sorted.
    pub seeds: Vec<String>,
    /// Name of the API key that set them.
    pub by: String,
}

/// The payload of `topic.created`: a topic an admin created before anyone used it (topics first
/// used by an endorsement or a report come into being with that entry, and have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicCreated {
    pub topic: String,
    #[serde(with = "crate::domain::time::serde_micros")]
    pub created_at: DateTime<Utc>,
    /// Name of the API key that created it.
    pub by: String,
}

/// The payload of `topic.merged`: every endorsement, report and seed of `from` moved into `into`
/// (created if it did not exist), and `from` kept only as another name of `into`. Where a pair
/// of users had a live endorsement in both topics, the merge revoked one of them
/// ([`crate::domain::topic::kept_in_merge`]); the entry lists those, and counts what it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicMerged {
    pub from: String,
    pub into: String,
    /// Endorsements moved from `from` to `into`, revoked ones included.
    pub moved: u64,
    /// Endorsements the merge revoked, by id, ascending.
    pub revoked: Vec<i64>,
    /// Name of the API key that merged them; `None` for the command line.
    pub by: Option<String>,
}

/// The payload of `key.changed`: an API key created, revoked, given a quota, or (for keys made
/// before keys were recorded) adopted. Every key's name is public to the ledger's readers, its
/// role, hash and quota are not: the entry carries only a digest of the whole row
/// ([`crate::domain::keys::KeyState::digest`]), which `ledger verify` compares with the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyChanged {
    pub name: String,
    /// `created`, `revoked`, `rate_set`, `global_set` or `adopted`.
    pub change: String,
    /// SHA-256 of the key row's canonical JSON, hex.
    pub state: String,
}

/// RFC 8785 canonical JSON of a JSON value.
pub fn canonical_value(value: &Value) -> String {
    jcs::to_string(value)
}

/// RFC 8785 canonical JSON of any serialisable value.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising our own payload types cannot fail: they hold no maps with non-string keys.
    serde_json::to_value(value).map_or_else(|_| "null".to_string(), |v| jcs::to_string(&v))
}

/// The hash of an entry with the given fields.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    kind: &str,
    at: DateTime<Utc>,
    payload: &Value,
) -> String {
    hash_with_payload(prev_hash, seq, kind, at, &canonical_value(payload))
}

/// [`entry_hash`] with the payload already in canonical form. The hashed body is the canonical
/// JSON of `{"at", "kind", "payload", "seq"}`, written out directly: those keys are already in
/// RFC 8785 order, and `at` and `kind` are plain ASCII with nothing to escape, so only the
/// payload needs canonicalising (once, for the stored text and the hash alike).
pub fn hash_with_payload(
    prev_hash: &str,
    seq: i64,
    kind: &str,
    at: DateTime<Utc>,
    payload_jcs: &str,
) -> String {
    let mut body = String::with_capacity(payload_jcs.len() + 96);
    body.push_str("{\"at\":");
    jcs::write_str(&mut body, &time::format(at));
    body.push_str(",\"kind\":");
    jcs::write_str(&mut body, kind);
    body.push_str(",\"payload\":");
    body.push_str(payload_jcs);
    body.push_str(",\"seq\":");
    body.push_str(&seq.to_string());
    body.push('}');
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    hex::encode(hasher.finalize())
}

/// Builds the next entry after the one with `prev` (seq, hash); `None` starts the chain.
pub fn next_entry<T: Payload>(prev: Option<(i64, &str)>, at: DateTime<Utc>, payload: &T) -> Entry {
    let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS_HASH));
    let mut entry = unsealed_entry(prev_seq + 1, at, payload);
    seal(&mut entry, prev_hash);
    entry
}

/// The entry with `seq` before it is chained: no hashes yet, for [`seal`] to fill in later
/// (a bulk load hashes on its writing thread, while the next lines are judged).
pub fn unsealed_entry<T: Payload>(seq: i64, at: DateTime<Utc>, payload: &T) -> Entry {
    Entry {
        seq,
        kind: T::KIND.to_string(),
        at,
        payload: payload.canonical(),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// Chains `entry` after the entry whose hash is `prev_hash` ([`GENESIS_HASH`] for the first).
pub fn seal(entry: &mut Entry, prev_hash: &str) {
    entry.hash = hash_with_payload(prev_hash, entry.seq, &entry.kind, entry.at, &entry.payload);
    entry.prev_hash = prev_hash.to_string();
}

mod jcs;
mod replay;

pub use replay::{compare_row, first_difference, Break, Chain, FirstSeen, FlagState, Replay};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn created(id: i64) -> Created {
        Created {
            id,
            endorser: "alice".into(),
            endorsee: "bob".into(),
            topic: "t".into(),
            note: Some("ünïcode \"quoted\"".into()),
            created_at: time::now(),
            created_by: None,
        }
    }

    /// The hand-written canonical text of a created payload is `canonical_json`'s, byte for
    /// byte, whatever its strings, id, times and missing fields.
    #[test]
    fn created_payloads_write_their_canonical_text_by_hand_as_serde_would() {
        let mut g = super::jcs::tests::Gen(0x9e37_79b9_7f4a_7c15);
        let some = |g: &mut super::jcs::tests::Gen| (g.below(2) == 0).then(|| g.string());
        for _ in 0..5_000 {
            let id = match g.below(4) {
                0 => g.below(1_000) as i64,
                1 => g.next() as i64,
                2 => (1i64 << 53) + g.below(1_000) as i64,
                _ => -(g.below(1_000) as i64),
            };
            let micros = (g.below(4_000_000_000) as i64) * 1_000_000 + g.below(1_000_000) as i64;
            let c = Created {
                id,
                endorser: g.string(),
                endorsee: g.string(),
                topic: g.string(),
                note: some(&mut g),
                created_at: DateTime::from_timestamp_micros(micros).unwrap(),
                created_by: some(&mut g),
            };
            assert_eq!(c.canonical(), canonical_json(&c), "{c:?}");
        }
    }

    /// The same for a raised flag's payload, whatever its evidence and score.
    #[test]
    fn raised_payloads_write_their_canonical_text_by_hand_as_serde_would() {
        let mut g = super::jcs::tests::Gen(0x2545_f491_4f6c_dd1d);
        for _ in 0..5_000 {
            let score = match g.below(5) {
                0 => g.below(1_000) as f64 / 997.0,
                1 => f64::from_bits(g.next()),
                2 => [f64::NAN, f64::INFINITY, -0.0, 1e21, 1e-7][g.below(5) as usize],
                3 => g.below(3) as f64,
                _ => -(g.below(1_000_000) as f64) / 3.0,
            };
            let mut evidence = serde_json::Map::new();
            for _ in 0..g.below(6) {
                let v = match g.below(4) {
                    0 => json!(g.string()),
                    1 => json!(g.below(1_000) as f64 / 7.0),
                    2 => json!(g.next()),
                    _ => json!([g.string(), g.below(9), null]),
                };
                evidence.insert(g.string(), v);
            }
            let f = FlagRaised {
                id: g.next() as i64,
                endorsement_id: g.below(1 << 40) as i64,
                reason: g.string(),
                score,
                evidence: evidence.into(),
                endorsement_status: g.string(),
            };
            assert_eq!(f.canonical(), canonical_json(&f), "{f:?}");
        }
    }

    fn chain(n: i64) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for id in 1..=n {
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            out.push(next_entry(prev, time::now(), &created(id)));
        }
        out
    }

    #[test]
    fn a_clean_chain_verifies_and_replays() {
        let mut r = Replay::default();
        for e in chain(3) {
            r.push(&e).unwrap();
        }
        assert_eq!(r.entries(), 3);
        assert_eq!(r.expected.len(), 3);
        assert_eq!(r.expected[&2].ledger_seq, 2);
    }

    #[test]
    fn any_change_is_caught_at_its_entry() {
        let tamper: [fn(&mut Entry); 5] = [
            |e| e.payload = e.payload.replace("bob", "bib"),
            |e| e.kind = ENDORSEMENT_REVOKED.into(),
            |e| e.at += chrono::Duration::microseconds(1),
            |e| e.payload = e.payload.replace(",", ", "),
            |e| e.prev_hash = GENESIS_HASH.into(),
        ];
        for t in tamper {
            let mut entries = chain(3);
            t(&mut entries[1]);
            let mut r = Replay::default();
            let err = entries.iter().try_for_each(|e| r.push(e)).unwrap_err();
            assert_eq!(err.seq, 2, "{}", err.reason);
        }
    }

    #[test]
    fn the_written_out_body_is_the_canonical_one() {
        let at = time::now();
        let payload = serde_json::to_value(created(7)).unwrap();
        let body = canonical_json(&json!({
            "seq": 7, "kind": ENDORSEMENT_CREATED, "at": time::format(at), "payload": payload,
        }));
        let mut hasher = Sha256::new();
        hasher.update(GENESIS_HASH.as_bytes());
        hasher.update(b"\n");
        hasher.update(body.as_bytes());
        assert_eq!(
            entry_hash(GENESIS_HASH, 7, ENDORSEMENT_CREATED, at, &payload),
            hex::encode(hasher.finalize())
        );
    }

    #[test]
    fn a_gap_is_caught() {
        let entries = chain(3);
        let mut r = Replay::default();
        r.push(&entries[0]).unwrap();
        assert_eq!(r.push(&entries[2]).unwrap_err().seq, 2);
    }
}
