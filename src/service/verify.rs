//! `ledger verify`: recompute the chain, then check every projection against it: endorsements,
//! solicitations and flags, so a row changed behind the service's back is found.

use serde::Serialize;

use super::Result;
use crate::db::{snapshot_tx, DbConn};
use crate::domain::endorsement::{Endorsement, Status};
use crate::domain::ledger::{
    compare_row, first_difference, Chain, FirstSeen, FlagState, Replay, SolicitationRecorded,
};
use crate::domain::time::from_db;
use crate::storage;

/// The outcome of `ledger verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
// Named apart from the classifier's `Verdict`: two schemas of one name are one component in
// /openapi.json, and `GET /v1/ledger/verify` was documented as answering a classifier verdict.
#[schema(as = LedgerVerdict)]
#[serde(untagged)]
pub enum Verdict {
    Ok {
        /// Always true.
        ok: bool,
        /// Number of entries checked.
        entries: i64,
        /// Hash of the last entry (64 zeros for an empty ledger).
        head: String,
    },
    Broken {
        /// Always false.
        ok: bool,
        /// The first ledger entry found wrong, or the entry behind the first wrong endorsement row.
        first_bad_seq: i64,
        reason: String,
    },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok { .. })
    }

    fn broken(first_bad_seq: i64, reason: String) -> Verdict {
        Verdict::Broken {
            ok: false,
            first_bad_seq,
            reason,
        }
    }
}

const VERIFY_PAGE: i64 = 1000;

/// Recomputes the whole chain, then checks every endorsement, solicitation, flag and seed row against
/// the replayed ledger,
/// all on one snapshot so concurrent writes cannot cause a false alarm.
pub fn verify(conn: &mut DbConn) -> Result<Verdict> {
    snapshot_tx(conn, |conn| {
        let mut replay = Replay::default();
        loop {
            let entries = super::ledger::page(conn, replay.entries(), VERIFY_PAGE)?;
            if entries.is_empty() {
                break;
            }
            for e in &entries {
                if let Err(b) = replay.push(e) {
                    return Ok(Verdict::broken(b.seq, b.reason));
                }
            }
        }
        // Idempotency first: it reads the replayed endorsements that `check_rows` consumes.
        for check in [
            check_idempotency,
            check_rows,
            check_solicitations,
            check_flags,
            check_seeds,
            check_users,
            check_topics,
            check_merges,
            check_keys,
        ] {
            if let Some(v) = check(conn, &mut replay)? {
                return Ok(v);
            }
        }
        Ok(Verdict::Ok {
            ok: true,
            entries: replay.entries(),
            head: replay.head().to_string(),
        })
    })
}

/// Checks only the entries after `from`, a head an earlier verify found good: each must link
/// to the one before and hash right. Rows and older entries are not looked at; that is
/// [`verify`]'s work. Returns the verdict and, when it is ok, the new head.
pub fn verify_since(conn: &mut DbConn, from: Chain) -> Result<(Verdict, Option<Chain>)> {
    snapshot_tx(conn, |conn| {
        // The head verified before must still be there, unchanged: a ledger cut short or
        // rewritten below it would otherwise pass as "nothing new".
        if from.seq > 0 {
            let still = super::ledger::page(conn, from.seq - 1, 1)?;
            if !still
                .first()
                .is_some_and(|e| e.seq == from.seq && e.hash == from.head)
            {
                let reason = format!("entry {} is not the one verified before", from.seq);
                return Ok((Verdict::broken(from.seq, reason), None));
            }
        }
        let mut chain = from;
        loop {
            let entries = super::ledger::page(conn, chain.seq, VERIFY_PAGE)?;
            if entries.is_empty() {
                break;
            }
            for e in &entries {
                if let Err(b) = chain.push(e) {
                    return Ok((Verdict::broken(b.seq, b.reason), None));
                }
            }
        }
        let verdict = Verdict::Ok {
            ok: true,
            entries: chain.seq,
            head: chain.head.clone(),
        };
        Ok((verdict, Some(chain)))
    })
}

/// Walks the endorsement table by id; `None` when every row matches the ledger.
fn check_rows(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut filter = storage::endorsements::Filter {
        after_id: Some(0),
        limit: VERIFY_PAGE,
        ..Default::default()
    };
    let mut seen = 0i64;
    loop {
        let rows = match storage::endorsements::select(conn, &filter) {
            Ok(rows) => rows,
            Err(e) => return unreadable(e),
        };
        let Some(last) = rows.last() else { break };
        filter.after_id = Some(last.id());
        for view in &rows {
            seen += 1;
            let row = view.to_state();
            let Some(expected) = replay.expected.remove(&row.id) else {
                let reason = format!("endorsement {} has no ledger entry", row.id);
                return Ok(Some(Verdict::broken(row.ledger_seq.max(1), reason)));
            };
            if let Err(reason) = compare_row(&expected, &row) {
                return Ok(Some(Verdict::broken(expected.ledger_seq, reason)));
            }
        }
    }
    if let Some((id, missing)) = replay.expected.iter().next() {
        let reason = format!("endorsement {id} is in the ledger but not in the table");
        return Ok(Some(Verdict::broken(missing.ledger_seq, reason)));
    }
    let total = storage::endorsements::count_all(conn)?;
    if total != seen {
        let reason = format!(
            "{} endorsement rows refer to unknown users or topics",
            total - seen
        );
        return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
    }
    Ok(None)
}

/// A row holding a value this version does not know (a status no version writes) is a break
/// at that row's entry, not a fault of verify.
fn unreadable(e: diesel::result::Error) -> Result<Option<Verdict>> {
    match storage::Unreadable::of(&e) {
        Some(u) => Ok(Some(Verdict::broken(u.id.max(1), u.to_string()))),
        None => Err(e.into()),
    }
}

/// Walks the solicitation table by id; `None` when every row is the one its entry recorded.
fn check_solicitations(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut after = 0;
    let mut seen = 0i64;
    loop {
        let rows = storage::solicitations::page_named(conn, after, VERIFY_PAGE)?;
        let Some(last) = rows.last() else { break };
        after = last.0.id;
        for named in rows {
            seen += 1;
            let seq = named.0.ledger_seq;
            let row = solicitation_state(named);
            let Some(expected) = replay.solicitations.remove(&row.id) else {
                let reason = format!("solicitation {} has no ledger entry", row.id);
                return Ok(Some(Verdict::broken(seq.max(1), reason)));
            };
            if let Some(field) = first_difference(&expected, &row) {
                let reason = format!("solicitation {}: {field} differs from the ledger", row.id);
                return Ok(Some(Verdict::broken(expected.id, reason)));
            }
        }
    }
    if let Some(id) = replay.solicitations.keys().next() {
        let reason = format!("solicitation {id} is in the ledger but not in the table");
        return Ok(Some(Verdict::broken(*id, reason)));
    }
    Ok(unresolved(
        storage::solicitations::count_all(conn)?,
        seen,
        replay,
        "solicitation",
    ))
}

fn solicitation_state(named: storage::solicitations::Named) -> SolicitationRecorded {
    let (row, requester, target, topic, reported_by) = named;
    SolicitationRecorded {
        id: row.id,
        requester,
        target,
        topic,
        // Unreadable cues differ from whatever the ledger holds, which is what verify reports.
        cues: serde_json::from_str(&row.cues).unwrap_or_else(|_| vec![row.cues.clone()]),
        text: row.text,
        channel: row.channel,
        observed_at: from_db(row.observed_at),
        begging: row.begging,
        score: row.score,
        language: row.language,
        reported_by,
    }
}

/// Walks the flag table by id; `None` when every flag and its review match the ledger.
fn check_flags(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut after = 0;
    let mut seen = 0i64;
    loop {
        let rows = match storage::flags::page_named(conn, after, VERIFY_PAGE) {
            Ok(rows) => rows,
            Err(e) => return unreadable(e),
        };
        let Some(last) = rows.last() else { break };
        after = last.0.id;
        for (row, reviewer) in rows {
            seen += 1;
            let row = flag_state(row, reviewer);
            let Some(expected) = replay.flags.remove(&row.id) else {
                let reason = format!("flag {} has no ledger entry", row.id);
                return Ok(Some(Verdict::broken(row.id.max(1), reason)));
            };
            if let Some(field) = first_difference(&expected, &row) {
                let reason = format!("flag {}: {field} differs from the ledger", row.id);
                return Ok(Some(Verdict::broken(expected.id, reason)));
            }
        }
    }
    if let Some(id) = replay.flags.keys().next() {
        let reason = format!("flag {id} is in the ledger but not in the table");
        return Ok(Some(Verdict::broken(*id, reason)));
    }
    Ok(unresolved(
        storage::flags::count_all(conn)?,
        seen,
        replay,
        "flag",
    ))
}

fn flag_state(row: storage::flags::Row, reviewed_by: Option<String>) -> FlagState {
    FlagState {
        id: row.id,
        endorsement_id: row.endorsement_id,
        reason: row.reason.as_str().to_string(),
        score: row.score,
        evidence: serde_json::from_str(&row.evidence)
            .unwrap_or(serde_json::Value::String(row.evidence)),
        created_at: from_db(row.created_at),
        status: row.status.as_str().to_string(),
        review_note: row.review_note,
        reviewed_at: row.reviewed_at.map(from_db),
        reviewed_by,
    }
}

/// Rows the joins dropped because a reference (user, topic, key) does not resolve.
fn unresolved(total: i64, seen: i64, replay: &Replay, what: &str) -> Option<Verdict> {
    (total != seen).then(|| {
        let reason = format!("{} {what} rows refer to unknown rows", total - seen);
        Verdict::broken(replay.entries().max(1), reason)
    })
}

/// Compares the seed table with the last `topic.seeds_set` of each topic.
fn check_seeds(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut table: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (topic, handle) in storage::reputation::all_seed_handles(conn)? {
        table.entry(topic).or_default().push(handle);
    }
    for (topic, (seq, seeds)) in &replay.seeds {
        if table.remove(topic).unwrap_or_default() != *seeds {
            let reason = format!("the seeds of topic {topic} differ from the ledger");
            return Ok(Some(Verdict::broken(*seq, reason)));
        }
    }
    if let Some(topic) = table.keys().next() {
        let reason = format!("topic {topic} has seeds the ledger never set");
        return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
    }
    Ok(None)
}

/// Microseconds since the epoch: how times are compared (rows and payloads keep microseconds).
fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// Whether a row's creation time is the one the ledger gives.
fn same_time(row: chrono::NaiveDateTime, seen: &FirstSeen) -> bool {
    let row = micros(row.and_utc());
    row == micros(seen.at) || seen.or_at.is_some_and(|t| row == micros(t))
}

/// Every user row is a handle the ledger names, created when the first entry naming it says;
/// and every handle the ledger names has its row.
fn check_users(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut after = 0;
    loop {
        let rows = storage::users::page_created(conn, after, VERIFY_PAGE)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, handle, created_at) in rows {
            let Some(seen) = replay.users.remove(&handle) else {
                let reason = format!("user {handle} is named by no ledger entry");
                return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
            };
            if !same_time(created_at, &seen) {
                let reason = format!("user {handle}: created_at differs from the ledger");
                return Ok(Some(Verdict::broken(seen.seq, reason)));
            }
        }
    }
    Ok(missing(&replay.users, "user"))
}

/// Every topic row is a topic the ledger names, created when the first entry naming it says.
fn check_topics(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    for (slug, created_at) in storage::topics::all_created(conn)? {
        let Some(seen) = replay.topics.remove(&slug) else {
            let reason = format!("topic {slug} is named by no ledger entry");
            return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
        };
        if !same_time(created_at, &seen) {
            let reason = format!("topic {slug}: created_at differs from the ledger");
            return Ok(Some(Verdict::broken(seen.seq, reason)));
        }
    }
    Ok(missing(&replay.topics, "topic"))
}

/// Every merged topic points at the topic the ledger's `topic.merged` entries say.
fn check_merges(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut table: std::collections::BTreeMap<String, String> =
        storage::topic_merge::merges(conn)?.into_iter().collect();
    for (from, (into, seq)) in &replay.merged {
        if table.remove(from).as_ref() != Some(into) {
            let reason = format!("topic {from} is not merged into {into} as the ledger says");
            return Ok(Some(Verdict::broken(*seq, reason)));
        }
    }
    if let Some((from, into)) = table.iter().next() {
        let reason = format!("topic {from} points at {into} without a merge in the ledger");
        return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
    }
    Ok(None)
}

/// A name the ledger gives that has no row.
fn missing(left: &std::collections::HashMap<String, FirstSeen>, what: &str) -> Option<Verdict> {
    let (name, seen) = left.iter().min_by_key(|(_, s)| s.seq)?;
    let reason = format!("{what} {name} is in the ledger but not in the table");
    Some(Verdict::broken(seen.seq, reason))
}

/// Every remembered response to an Idempotency-Key is the endorsement the ledger recorded
/// (its parties, topic, note, time and entry), as first answered (`active` or `flagged`), and
/// was given to the key that created it. A forged response would otherwise be replayed to
/// every retry as it is.
fn check_idempotency(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut after = None;
    loop {
        let rows = storage::idempotency::page(conn, after.take(), VERIFY_PAGE)?;
        let Some(last) = rows.last() else { break };
        after = Some((last.api_key_id, last.key.clone()));
        for row in &rows {
            if let Some(reason) = idempotency_problem(conn, replay, row)? {
                let seq = serde_json::from_str::<Endorsement>(&row.response_body)
                    .map_or(replay.entries().max(1), |e| e.ledger_seq.max(1));
                return Ok(Some(Verdict::broken(seq, reason)));
            }
        }
    }
    Ok(None)
}

fn idempotency_problem(
    conn: &mut DbConn,
    replay: &Replay,
    row: &storage::idempotency::Stored,
) -> Result<Option<String>> {
    let what = format!("the response remembered for Idempotency-Key {:?}", row.key);
    let Ok(e) = serde_json::from_str::<Endorsement>(&row.response_body) else {
        return Ok(Some(format!("{what} is not an endorsement")));
    };
    let Some(expected) = replay.expected.get(&e.id) else {
        return Ok(Some(format!(
            "{what} names endorsement {}, which the ledger never created",
            e.id
        )));
    };
    // The response named the topic the endorsement was created in, which a merge may have
    // changed since.
    let topic = replay.moved_from.get(&e.id).unwrap_or(&expected.topic);
    let same = e.endorser == expected.endorser
        && e.endorsee == expected.endorsee
        && e.topic == *topic
        && e.note == expected.note
        && micros(e.created_at) == micros(expected.created_at)
        && e.ledger_seq == expected.ledger_seq
        && row.status_code == 201
        && matches!(e.status, Status::Active | Status::Flagged);
    if !same {
        return Ok(Some(format!(
            "{what} differs from endorsement {} in the ledger",
            e.id
        )));
    }
    let creator = storage::endorsements::created_by(conn, e.id)?;
    if creator != Some(row.api_key_id) {
        return Ok(Some(format!(
            "{what} was given to a key that did not create endorsement {}",
            e.id
        )));
    }
    Ok(None)
}

/// Every API key row is, field for field, the state its last `key.changed` entry recorded, and
/// every key the ledger names has its row: a role raised, a revocation undone, a hash swapped
/// or a quota changed behind plusk's back shows here.
fn check_keys(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    for row in storage::keys::list(conn)? {
        let Some((seq, recorded)) = replay.keys.remove(&row.name) else {
            let reason = format!("key {} has no ledger entry", row.name);
            return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
        };
        if super::keys::state_digest(&row) != recorded {
            let reason = format!(
                "key {}: its role, hash, times or quota differ from the ledger",
                row.name
            );
            return Ok(Some(Verdict::broken(seq, reason)));
        }
    }
    if let Some((name, (seq, _))) = replay.keys.iter().next() {
        let reason = format!("key {name} is in the ledger but not in the table");
        return Ok(Some(Verdict::broken(*seq, reason)));
    }
    Ok(None)
}
