//! The begging detectors, run inside the write transaction that records an endorsement (or a
//! late-reported ask), so a flag and what it flags are committed together.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ledger, Error, Result};
use crate::db::DbConn;
use crate::domain::endorsement::Status;
use crate::domain::flag::{
    burst as flag_burst, close_cycle, lockstep as flag_lockstep, reciprocal_score,
    status_after_flag, Detection, Finding, FlagStatus, LockstepRule, Reason, BURST_BASELINE_HOURS,
    BURST_MIN, BURST_MIN_BASELINE_HOURS, RING_WINDOW,
};
use crate::domain::ledger::{FlagRaised, FLAG_RAISED};
use crate::domain::solicitation::classify;
use crate::domain::time::{self, from_db, to_db};
use crate::storage;

/// The endorsement just recorded, by database ids.
#[derive(Debug, Clone, Copy)]
pub struct Fresh<'a> {
    pub id: i64,
    pub endorser_id: i32,
    pub endorsee_id: i32,
    pub topic_id: i32,
    pub created_at: DateTime<Utc>,
    pub note: Option<&'a str>,
}

/// Runs every detector on a new endorsement; raises a flag per finding and returns the
/// endorsement's status afterwards.
pub fn after_endorsement(conn: &mut DbConn, e: Fresh<'_>, d: &Detection) -> Result<Status> {
    let mut findings = Vec::new();
    findings.extend(solicited(conn, &e, d)?);
    findings.extend(begging_note(e.note));
    findings.extend(reciprocal(conn, &e, d)?);
    findings.extend(ring(conn, &e)?);
    findings.extend(burst(conn, &e)?);
    findings.extend(lockstep(conn, &e, &d.lockstep)?);
    let mut status = Status::Active;
    for f in findings {
        status = raise(conn, e.id, status, f, d)?;
    }
    Ok(status)
}

/// The strongest begging ask by the endorsee, aimed at the endorser or at everyone, seen in
/// the window before the endorsement.
fn solicited(conn: &mut DbConn, e: &Fresh<'_>, d: &Detection) -> Result<Option<Finding>> {
    let asks = storage::solicitations::asks_before(
        conn,
        e.endorsee_id,
        e.endorser_id,
        e.topic_id,
        e.created_at - d.window,
        e.created_at,
    )?;
    Ok(asks
        .into_iter()
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .map(|ask| solicited_finding(&ask)))
}

fn solicited_finding(ask: &storage::solicitations::Row) -> Finding {
    Finding {
        reason: Reason::Solicited,
        score: ask.score,
        evidence: json!({
            "solicitation_id": ask.id,
            "text": ask.text,
            "cues": serde_json::from_str::<serde_json::Value>(&ask.cues).unwrap_or_default(),
            "observed_at": time::format(from_db(ask.observed_at)),
            "broadcast": ask.target_id.is_none(),
        }),
    }
}

fn begging_note(note: Option<&str>) -> Option<Finding> {
    let v = classify(note?);
    v.begging.then(|| Finding {
        reason: Reason::BeggingNote,
        score: v.score,
        evidence: json!({ "note": note, "cues": v.cues }),
    })
}

/// The endorsee endorsed the endorser in the same topic within the window before.
fn reciprocal(conn: &mut DbConn, e: &Fresh<'_>, d: &Detection) -> Result<Option<Finding>> {
    let other = storage::endorsements::between(
        conn,
        e.endorsee_id,
        e.endorser_id,
        e.topic_id,
        e.created_at - d.window,
        e.created_at,
    )?;
    Ok(other.into_iter().max_by_key(|(_, at)| *at).map(|(id, at)| {
        let gap = e.created_at - from_db(at);
        Finding {
            reason: Reason::Reciprocal,
            score: reciprocal_score(gap, d.window),
            evidence: json!({ "endorsement_id": id, "created_at": time::format(from_db(at)), "hours_apart": gap.num_minutes() as f64 / 60.0 }),
        }
    }))
}

/// Most neighbours followed when looking for rings and lockstep groups: keeps each check to a
/// bounded number of indexed queries, however popular a user is.
const MAX_NEIGHBOURS: usize = 50;

/// The endorsement closes a cycle of 3 or 4 among the topic's live endorsements of the last
/// [`RING_WINDOW`]. Only the neighbourhood is read: what the endorsee gave, what the endorser
/// received, and what the endorsee's endorsees gave.
fn ring(conn: &mut DbConn, e: &Fresh<'_>) -> Result<Option<Finding>> {
    let (from, topic) = (e.created_at - RING_WINDOW, Some(e.topic_id));
    let mut edges: Vec<(i64, i32, i32)> = Vec::new();
    let given = storage::endorsements::out_edges(conn, e.endorsee_id, topic, from, e.created_at)?;
    for (id, to) in storage::endorsements::in_edges(conn, e.endorser_id, topic, from, e.created_at)?
    {
        edges.push((id, to, e.endorser_id));
    }
    for (id, next) in given.into_iter().take(MAX_NEIGHBOURS) {
        edges.push((id, e.endorsee_id, next));
        for (id2, next2) in storage::endorsements::out_edges(conn, next, topic, from, e.created_at)?
        {
            edges.push((id2, next, next2));
        }
    }
    edges.retain(|(id, _, _)| *id != e.id);
    let Some(mut cycle) = close_cycle(&edges, e.endorser_id, e.endorsee_id) else {
        return Ok(None);
    };
    cycle.push(e.id);
    Ok(Some(Finding {
        reason: Reason::Ring,
        score: if cycle.len() == 3 { 0.9 } else { 0.8 },
        evidence: json!({ "cycle_endorsement_ids": cycle, "length": cycle.len() }),
    }))
}

/// The endorsee's inbound endorsements this hour against their own last week, hour by hour.
/// The week is read only when this hour already has enough to possibly be a burst.
fn burst(conn: &mut DbConn, e: &Fresh<'_>) -> Result<Option<Finding>> {
    let this_hour = storage::endorsements::count_inbound(
        conn,
        e.endorsee_id,
        e.created_at - chrono::Duration::hours(1),
        e.created_at,
    )?;
    if this_hour < i64::from(BURST_MIN) {
        return Ok(None);
    }
    let hours = BURST_BASELINE_HOURS + 1;
    let from = e.created_at - chrono::Duration::hours(hours as i64);
    let mut counts = vec![0u32; hours];
    let mut oldest = 0;
    for t in storage::endorsements::inbound_times(conn, e.endorsee_id, from, e.created_at)? {
        let age = (e.created_at - from_db(t)).num_hours().max(0) as usize;
        if let Some(c) = counts.get_mut(age) {
            *c += 1;
            oldest = oldest.max(age);
        }
    }
    // The baseline is the user's own history in the window, and at least a day: hours before
    // anyone endorsed them say nothing about their normal rate.
    counts.truncate((oldest + 1).max(BURST_MIN_BASELINE_HOURS + 1));
    Ok(flag_burst(&counts).map(|stats| Finding {
        reason: Reason::Burst,
        score: (0.5
            + 0.5 * (f64::from(stats.last_hour) - stats.upper) / f64::from(stats.last_hour))
        .min(1.0),
        evidence: json!(stats),
    }))
}

/// Endorsers moving together: the endorser and others who endorsed the same endorsee within
/// the rule's window, compared by what each gave in that window.
fn lockstep(conn: &mut DbConn, e: &Fresh<'_>, rule: &LockstepRule) -> Result<Option<Finding>> {
    let from = e.created_at - rule.window;
    let mine = storage::endorsements::out_edges(conn, e.endorser_id, None, from, e.created_at)?;
    if mine.len() < rule.min_endorsees {
        return Ok(None);
    }
    let mut edges: Vec<(i32, i32)> = mine
        .into_iter()
        .map(|(_, to)| (e.endorser_id, to))
        .collect();
    let peers = storage::endorsements::in_edges(conn, e.endorsee_id, None, from, e.created_at)?;
    for (_, peer) in peers
        .into_iter()
        .filter(|(_, p)| *p != e.endorser_id)
        .take(MAX_NEIGHBOURS)
    {
        for (_, to) in storage::endorsements::out_edges(conn, peer, None, from, e.created_at)? {
            edges.push((peer, to));
        }
    }
    let Some(group) = flag_lockstep(&edges, e.endorser_id, rule) else {
        return Ok(None);
    };
    let handles = |conn: &mut DbConn, ids: &[i32]| -> Result<Vec<String>> {
        ids.iter()
            .map(|id| Ok(storage::users::handle_of(conn, *id)?))
            .collect()
    };
    let evidence = json!({
        "endorsers": handles(conn, &group.endorsers)?,
        "endorsees": handles(conn, &group.endorsees)?,
        "window_minutes": rule.window.num_minutes(),
    });
    Ok(Some(Finding {
        reason: Reason::Lockstep,
        score: (0.5 + 0.1 * group.endorsers.len() as f64).min(1.0),
        evidence,
    }))
}

/// A begging ask reported late: flags the endorsements it may have prompted in the window after.
pub fn after_solicitation(
    conn: &mut DbConn,
    ask: &storage::solicitations::Row,
    d: &Detection,
) -> Result<usize> {
    if !ask.begging {
        return Ok(0);
    }
    let seen = from_db(ask.observed_at);
    let mut raised = 0;
    for (id, endorser, topic, status) in
        storage::endorsements::received_between(conn, ask.requester_id, seen, seen + d.window)?
    {
        let aimed =
            ask.target_id.is_none_or(|t| t == endorser) && ask.topic_id.is_none_or(|t| t == topic);
        let already = storage::flags::of_endorsement(conn, id)?
            .iter()
            .any(|f| f.reason == Reason::Solicited.as_str());
        if aimed && !already {
            let current: Status = status
                .parse()
                .map_err(|e: crate::domain::Rejection| Error::Internal(e.to_string()))?;
            raise(conn, id, current, solicited_finding(ask), d)?;
            raised += 1;
        }
    }
    Ok(raised)
}

/// Records a flag and its ledger entry; holds the endorsement if the score is high enough.
fn raise(
    conn: &mut DbConn,
    endorsement_id: i64,
    current: Status,
    f: Finding,
    d: &Detection,
) -> Result<Status> {
    let now = time::now();
    let after = status_after_flag(current, f.score, d.hold_threshold);
    let (_, payload) = ledger::append(conn, FLAG_RAISED, now, |seq| FlagRaised {
        id: seq,
        endorsement_id,
        reason: f.reason.as_str().to_string(),
        score: f.score,
        evidence: f.evidence.clone(),
        endorsement_status: after.as_str().to_string(),
    })?;
    let row = storage::flags::Row {
        id: payload.id,
        endorsement_id,
        reason: payload.reason,
        score: f.score,
        evidence: serde_json::to_string(&f.evidence).map_err(|e| Error::Internal(e.to_string()))?,
        status: FlagStatus::Open.as_str().to_string(),
        created_at: to_db(now),
        reviewed_at: None,
        review_note: None,
        reviewed_by: None,
    };
    storage::flags::insert(conn, &row)?;
    if after != current {
        storage::endorsements::set_status(conn, endorsement_id, after)?;
    }
    Ok(after)
}
