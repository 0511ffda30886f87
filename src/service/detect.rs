//! Applying the detectors' findings: a flag and its ledger entry per finding, and the held
//! status. What is suspicious is decided in `domain::detect`; this only records it.

use super::tx::Tx;
use super::{Error, Result};
use crate::domain::detect::{solicited_finding, solicited_finding_for};
use crate::domain::endorsement::Status;
use crate::domain::flag::{status_after_flag, Detection, Finding, FlagStatus, Reason};
use crate::domain::ledger::FlagRaised;
use crate::domain::model::Ask;
use crate::domain::time::{self, from_db, to_db};
use crate::storage;

/// Records a flag per finding on `endorsement_id` and returns its status afterwards. The
/// endorsement row is the caller's: it is written (new) or updated (existing) with that status.
pub fn raise_all(
    tx: &mut Tx<'_>,
    endorsement_id: i64,
    mut status: Status,
    findings: Vec<Finding>,
    d: &Detection,
) -> Result<Status> {
    for f in findings {
        status = raise(tx, endorsement_id, status, f, d)?;
    }
    Ok(status)
}

/// Raises each group finding on the group's other endorsements (see [`Finding::group`]) that
/// carry no flag for the same reason yet. Call after the endorsement that completed the
/// group is written: this reads and updates rows.
pub fn raise_on_groups(tx: &mut Tx<'_>, findings: &[Finding], d: &Detection) -> Result<()> {
    for f in findings {
        for id in &f.group {
            raise_on_existing(tx, *id, f, d)?;
        }
    }
    Ok(())
}

/// Flags an endorsement already recorded (in this batch or before) for a group finding, once
/// per reason, and holds it if the score says so. Says whether it raised a flag.
pub fn raise_on_existing(tx: &mut Tx<'_>, id: i64, f: &Finding, d: &Detection) -> Result<bool> {
    let reason = f.reason;
    if storage::flags::of_endorsement(tx.conn()?, id)?
        .iter()
        .any(|flag| flag.reason == reason)
    {
        return Ok(false);
    }
    match storage::endorsements::status_of(tx.conn()?, id)? {
        Some(status) => raise_on_stored(tx, id, status, f.clone(), d).map(|_| true),
        None => Ok(false),
    }
}

/// Raises `f` on an endorsement already written whose stored status is `status`, and updates
/// that status if the flag holds it.
pub fn raise_on_stored(
    tx: &mut Tx<'_>,
    id: i64,
    current: Status,
    f: Finding,
    d: &Detection,
) -> Result<Status> {
    let after = raise(tx, id, current, f, d)?;
    if after != current {
        storage::endorsements::set_status(tx.conn()?, id, after)?;
    }
    Ok(after)
}

fn raise(
    tx: &mut Tx<'_>,
    endorsement_id: i64,
    current: Status,
    f: Finding,
    d: &Detection,
) -> Result<Status> {
    let now = time::now();
    let after = status_after_flag(current, f.score, d.hold_threshold);
    let evidence =
        serde_json::to_string(&f.evidence).map_err(|e| Error::Internal(e.to_string()))?;
    let (seq, _) = tx.append(now, |seq| FlagRaised {
        id: seq,
        endorsement_id,
        reason: f.reason.as_str().to_string(),
        score: f.score,
        evidence: f.evidence,
        endorsement_status: after.as_str().to_string(),
    });
    // The entry is kept on the flag's row, which holds the rest of its payload.
    let entry_hash = tx.head_hash();
    tx.insert_flag(storage::flags::New {
        row: storage::flags::Row {
            id: seq,
            endorsement_id,
            reason: f.reason,
            score: f.score,
            evidence,
            status: FlagStatus::Open,
            created_at: to_db(now),
            reviewed_at: None,
            review_note: None,
            reviewed_by: None,
        },
        entry_hash,
        entry_status: after,
    });
    crate::metrics::get()
        .flags_raised
        .with_label_values(&[f.reason.as_str()])
        .inc();
    Ok(after)
}

/// A begging ask reported late: flags the endorsements it may have prompted in the window after,
/// for its requester and for each user it begs for by name. `model_ask` is the row as the model
/// keeps it.
pub fn after_solicitation(
    tx: &mut Tx<'_>,
    ask: &storage::solicitations::Row,
    model_ask: &Ask,
    d: &Detection,
) -> Result<usize> {
    if !d.enabled {
        return Ok(0);
    }
    let seen = from_db(ask.observed_at);
    // The requester, then each user the ask begs for who has been seen (one not yet seen has
    // received nothing to flag).
    let mut beneficiaries = Vec::new();
    if model_ask.for_requester() {
        beneficiaries.push((ask.requester_id, solicited_finding(model_ask)));
    }
    for named in &model_ask.begged_for {
        let name = named.handle.as_str();
        if let Some(id) = storage::users::find_id(tx.conn()?, name)? {
            if id != ask.requester_id {
                let finding = solicited_finding_for(&model_ask.as_named(named), Some(name));
                beneficiaries.push((id, finding));
            }
        }
    }
    let mut raised = 0;
    for (user, finding) in beneficiaries {
        let received =
            storage::endorsements::received_between(tx.conn()?, user, seen, seen + d.window)?;
        for (id, endorser, topic, status) in received {
            let aimed = ask.target_id.is_none_or(|t| t == endorser)
                && ask.topic_id.is_none_or(|t| t == topic);
            let already = storage::flags::of_endorsement(tx.conn()?, id)?
                .iter()
                .any(|f| f.reason == Reason::Solicited);
            if aimed && !already {
                raise_on_stored(tx, id, status, finding.clone(), d)?;
                raised += 1;
            }
        }
    }
    Ok(raised)
}
