//! Checking a chain entry by entry, and replaying it into the tables it must agree with:
//! endorsements (with the statuses flags and reviews give them), solicitations, flags and seeds.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{
    canonical_json, canonical_value, entry_hash, Created, Entry, FlagRaised, FlagReviewed,
    KeyChanged, Revoked, SeedsSet, SolicitationRecorded, TopicCreated, TopicMerged,
    ENDORSEMENT_CREATED, ENDORSEMENT_REVOKED, FLAG_RAISED, FLAG_REVIEWED, GENESIS_HASH,
    KEY_CHANGED, SEEDS_SET, SOLICITATION_RECORDED, TOPIC_CREATED, TOPIC_MERGED,
};
use crate::domain::endorsement::{EndorsementState, Status};

/// A problem found while checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

fn broken(seq: i64, reason: impl Into<String>) -> Break {
    Break {
        seq,
        reason: reason.into(),
    }
}

/// Checks that `e` follows the entry `last_seq` whose hash is `head`: the next seq, the same
/// link, a canonical payload and the hash of its contents. Returns the parsed payload.
fn check_link(last_seq: i64, head: &str, e: &Entry) -> Result<Value, Break> {
    let expected_seq = last_seq + 1;
    if e.seq != expected_seq {
        return Err(broken(
            expected_seq,
            format!("entry {expected_seq} is missing (found {} next)", e.seq),
        ));
    }
    if e.prev_hash != head {
        return Err(broken(
            e.seq,
            "prev_hash does not match the previous entry's hash",
        ));
    }
    let value: Value =
        serde_json::from_str(&e.payload).map_err(|_| broken(e.seq, "payload is not valid JSON"))?;
    if canonical_value(&value) != e.payload {
        return Err(broken(e.seq, "payload is not in canonical form"));
    }
    if entry_hash(&e.prev_hash, e.seq, &e.kind, e.at, &value) != e.hash {
        return Err(broken(e.seq, "hash does not match the entry's contents"));
    }
    Ok(value)
}

/// The chain alone, checked from a head verified earlier: each new entry must link to it and
/// hash right. Unlike [`Replay`] it keeps no projection, so it can start anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub seq: i64,
    pub head: String,
}

impl Chain {
    /// The empty ledger.
    pub fn genesis() -> Chain {
        Chain {
            seq: 0,
            head: GENESIS_HASH.to_string(),
        }
    }

    pub fn push(&mut self, e: &Entry) -> Result<(), Break> {
        check_link(self.seq, &self.head, e)?;
        self.seq = e.seq;
        self.head = e.hash.clone();
        Ok(())
    }
}

/// A flag row as the ledger says it must be: raised by one entry, reviewed by at most one more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagState {
    pub id: i64,
    pub endorsement_id: i64,
    pub reason: String,
    pub score: f64,
    pub evidence: Value,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub review_note: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Name of the reviewing key.
    pub reviewed_by: Option<String>,
}

/// When the ledger says a user or topic came into being: the entry that first named it, and the
/// time that entry gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstSeen {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Another time the row may hold: a topic first named by a report was stamped with the
    /// ask's time before it was stamped with the report's.
    pub or_at: Option<DateTime<Utc>>,
}

/// Checks entries one at a time, in order, and replays them into the projections.
#[derive(Debug, Default)]
pub struct Replay {
    last_seq: i64,
    last_hash: Option<String>,
    /// The endorsement table as the ledger says it must be, by id.
    pub expected: BTreeMap<i64, EndorsementState>,
    /// The solicitation table, by id.
    pub solicitations: BTreeMap<i64, SolicitationRecorded>,
    /// The flag table, by id.
    pub flags: BTreeMap<i64, FlagState>,
    /// Each topic's seed handles, sorted (topics that never had seeds are absent).
    pub seeds: BTreeMap<String, (i64, Vec<String>)>,
    /// Every handle any entry names, with when it was first named.
    pub users: HashMap<String, FirstSeen>,
    /// Every topic any entry names, with when it was first named.
    pub topics: HashMap<String, FirstSeen>,
    /// Each API key's last recorded state digest, with the entry that recorded it, by name.
    pub keys: BTreeMap<String, (i64, String)>,
    /// Each merged topic, with the topic it now points at and the entry that merged it.
    pub merged: BTreeMap<String, (String, i64)>,
    /// The topic each moved endorsement's `endorsement.created` names, by id (its projection now
    /// names the topic it was merged into).
    pub moved_from: HashMap<i64, String>,
}

/// Records `name` as first seen now, unless it was seen before.
fn first_seen(map: &mut HashMap<String, FirstSeen>, name: &str, seen: FirstSeen) {
    if !map.contains_key(name) {
        map.insert(name.to_string(), seen);
    }
}

impl Replay {
    /// Entries checked so far.
    pub fn entries(&self) -> i64 {
        self.last_seq
    }

    /// Hash of the last entry checked (the head), or the genesis hash.
    pub fn head(&self) -> &str {
        self.last_hash.as_deref().unwrap_or(GENESIS_HASH)
    }

    /// Checks the next entry: sequence, link, canonical payload, hash; then applies it.
    pub fn push(&mut self, e: &Entry) -> Result<(), Break> {
        let value = check_link(self.last_seq, self.head(), e)?;
        self.apply(e, value)?;
        self.last_seq = e.seq;
        self.last_hash = Some(e.hash.clone());
        Ok(())
    }

    fn apply(&mut self, e: &Entry, value: Value) -> Result<(), Break> {
        let seq = e.seq;
        let at = |at| FirstSeen {
            seq,
            at,
            or_at: None,
        };
        match e.kind.as_str() {
            ENDORSEMENT_CREATED => {
                let c: Created = payload(e, value)?;
                for user in [&c.endorser, &c.endorsee] {
                    first_seen(&mut self.users, user, at(c.created_at));
                }
                first_seen(&mut self.topics, &c.topic, at(c.created_at));
                self.created(seq, c)
            }
            ENDORSEMENT_REVOKED => {
                let r: Revoked = payload(e, value)?;
                let state = self
                    .expected
                    .get_mut(&r.id)
                    .ok_or_else(|| broken(seq, format!("revokes unknown endorsement {}", r.id)))?;
                state.status = "revoked".into();
                state.revoked_at = Some(r.revoked_at);
                Ok(())
            }
            SOLICITATION_RECORDED => {
                let s: SolicitationRecorded = payload(e, value)?;
                for user in std::iter::once(&s.requester).chain(&s.target) {
                    first_seen(&mut self.users, user, at(s.observed_at));
                }
                if let Some(topic) = &s.topic {
                    let seen = FirstSeen {
                        or_at: Some(s.observed_at),
                        ..at(e.at)
                    };
                    first_seen(&mut self.topics, topic, seen);
                }
                let id = s.id;
                insert_once(&mut self.solicitations, id, s, seq, "solicitation")
            }
            FLAG_RAISED => self.flag_raised(e, payload(e, value)?),
            FLAG_REVIEWED => self.flag_reviewed(e, payload(e, value)?),
            SEEDS_SET => {
                let s: SeedsSet = payload(e, value)?;
                for user in &s.seeds {
                    first_seen(&mut self.users, user, at(e.at));
                }
                first_seen(&mut self.topics, &s.topic, at(e.at));
                self.seeds.insert(s.topic, (seq, s.seeds));
                Ok(())
            }
            KEY_CHANGED => {
                let k: KeyChanged = payload(e, value)?;
                self.keys.insert(k.name, (seq, k.state));
                Ok(())
            }
            TOPIC_CREATED => {
                let t: TopicCreated = payload(e, value)?;
                first_seen(&mut self.topics, &t.topic, at(t.created_at));
                Ok(())
            }
            TOPIC_MERGED => {
                let m: TopicMerged = payload(e, value)?;
                first_seen(&mut self.topics, &m.into, at(e.at));
                self.merge(e, m)
            }
            // Kinds added by later versions are hashed and chained, and project nothing here.
            _ => Ok(()),
        }
    }

    fn created(&mut self, seq: i64, c: Created) -> Result<(), Break> {
        let state = EndorsementState {
            id: c.id,
            endorser: c.endorser,
            endorsee: c.endorsee,
            topic: c.topic,
            note: c.note,
            status: "active".into(),
            created_at: c.created_at,
            revoked_at: None,
            ledger_seq: seq,
        };
        insert_once(&mut self.expected, c.id, state, seq, "endorsement")
    }

    /// Moves everything of `m.from` into `m.into`, as `plusk topics merge` did to the tables.
    fn merge(&mut self, e: &Entry, m: TopicMerged) -> Result<(), Break> {
        let seq = e.seq;
        let gone = |t: &str| !self.topics.contains_key(t) || self.merged.contains_key(t);
        if m.from == m.into || gone(&m.from) || gone(&m.into) {
            return Err(broken(
                seq,
                format!("cannot merge {} into {}", m.from, m.into),
            ));
        }
        let mut moved = 0u64;
        for state in self.expected.values_mut().filter(|s| s.topic == m.from) {
            self.moved_from
                .entry(state.id)
                .or_insert_with(|| m.from.clone());
            state.topic.clone_from(&m.into);
            moved += 1;
        }
        if moved != m.moved {
            return Err(broken(
                seq,
                format!("moves {moved} endorsements, not {}", m.moved),
            ));
        }
        for id in &m.revoked {
            let state = self
                .expected
                .get_mut(id)
                .filter(|s| s.topic == m.into && s.status != Status::Revoked.as_str());
            let state = state.ok_or_else(|| broken(seq, format!("cannot revoke {id} here")))?;
            state.status = Status::Revoked.as_str().into();
            state.revoked_at = Some(e.at);
        }
        for s in self.solicitations.values_mut() {
            if s.topic.as_deref() == Some(m.from.as_str()) {
                s.topic = Some(m.into.clone());
            }
        }
        if let Some((_, from_seeds)) = self.seeds.remove(&m.from) {
            let (_, into_seeds) = self.seeds.remove(&m.into).unwrap_or_default();
            let all: std::collections::BTreeSet<String> =
                from_seeds.into_iter().chain(into_seeds).collect();
            self.seeds
                .insert(m.into.clone(), (seq, all.into_iter().collect()));
        }
        for (target, _) in self.merged.values_mut() {
            if *target == m.from {
                target.clone_from(&m.into);
            }
        }
        self.merged.insert(m.from, (m.into, seq));
        Ok(())
    }

    fn flag_raised(&mut self, e: &Entry, f: FlagRaised) -> Result<(), Break> {
        self.set_status(e.seq, f.endorsement_id, f.endorsement_status)?;
        let state = FlagState {
            id: f.id,
            endorsement_id: f.endorsement_id,
            reason: f.reason,
            score: f.score,
            evidence: f.evidence,
            created_at: e.at,
            status: "open".into(),
            review_note: None,
            reviewed_at: None,
            reviewed_by: None,
        };
        insert_once(&mut self.flags, f.id, state, e.seq, "flag")
    }

    fn flag_reviewed(&mut self, e: &Entry, r: FlagReviewed) -> Result<(), Break> {
        self.set_status(e.seq, r.endorsement_id, r.endorsement_status)?;
        let flag = self
            .flags
            .get_mut(&r.flag_id)
            .ok_or_else(|| broken(e.seq, format!("reviews unknown flag {}", r.flag_id)))?;
        if flag.status != "open" || flag.endorsement_id != r.endorsement_id {
            return Err(broken(
                e.seq,
                format!("flag {} cannot be reviewed here", r.flag_id),
            ));
        }
        flag.status = match r.decision.as_str() {
            "uphold" => "upheld".into(),
            "dismiss" => "dismissed".into(),
            other => return Err(broken(e.seq, format!("unknown decision {other:?}"))),
        };
        flag.review_note = r.note;
        flag.reviewed_at = Some(e.at);
        flag.reviewed_by = Some(r.by);
        Ok(())
    }

    fn set_status(&mut self, seq: i64, endorsement_id: i64, status: String) -> Result<(), Break> {
        let state = self
            .expected
            .get_mut(&endorsement_id)
            .ok_or_else(|| broken(seq, format!("flags unknown endorsement {endorsement_id}")))?;
        state.status = status;
        Ok(())
    }
}

fn payload<T: serde::de::DeserializeOwned>(e: &Entry, value: Value) -> Result<T, Break> {
    serde_json::from_value(value)
        .map_err(|err| broken(e.seq, format!("bad {} payload: {err}", e.kind)))
}

fn insert_once<T>(
    map: &mut BTreeMap<i64, T>,
    id: i64,
    value: T,
    seq: i64,
    what: &str,
) -> Result<(), Break> {
    if map.insert(id, value).is_some() {
        return Err(broken(seq, format!("{what} {id} is recorded twice")));
    }
    Ok(())
}

/// The first field in which a stored row differs from what the ledger says, if any.
pub fn first_difference<T: Serialize>(expected: &T, row: &T) -> Option<String> {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(expected), serde_json::to_value(row))
    else {
        return Some("the whole row".into());
    };
    // Compared as canonical JSON: the ledger's `0` and a row's `0.0` are the same number.
    a.iter()
        .find(|(k, v)| b.get(*k).map(canonical_json) != Some(canonical_json(v)))
        .map(|(k, _)| k.clone())
}

/// Compares one endorsement row with what the ledger says; the error names the first difference.
pub fn compare_row(expected: &EndorsementState, row: &EndorsementState) -> Result<(), String> {
    match first_difference(expected, row) {
        None => Ok(()),
        Some(field) => Err(format!(
            "endorsement {}: {field} differs from the ledger",
            row.id
        )),
    }
}
