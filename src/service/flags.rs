//! The moderation queue: listing flags, showing one with its evidence, reviewing.

use serde::Serialize;

use super::tx::Tx;
use super::{endorsements, Error, Principal, Result};
use crate::db::DbConn;
use crate::domain::endorsement::Endorsement;
use crate::domain::flag::{
    self, status_after_review, Decision, Detection, Flag, FlagStatus, Reason,
};
use crate::domain::handle::Handle;
use crate::domain::ledger::FlagReviewed;
use crate::domain::time::{self, from_db};
use crate::domain::topic::TopicSlug;
use crate::storage;

pub(crate) fn to_flag(named: &storage::flags::Named) -> Flag {
    let row = &named.row;
    Flag {
        id: row.id,
        endorsement_id: row.endorsement_id,
        endorser: named.endorser.clone(),
        endorsee: named.endorsee.clone(),
        topic: named.topic.clone(),
        reason: row.reason,
        score: row.score,
        status: row.status,
        created_at: from_db(row.created_at),
        reviewed_by: named.reviewed_by.clone(),
        reviewed_at: row.reviewed_at.map(from_db),
    }
}

/// Which flags to list, as a client names them.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub status: Option<FlagStatus>,
    pub reason: Option<Reason>,
    pub endorsement_id: Option<i64>,
    pub topic: Option<TopicSlug>,
    /// Either side of the endorsement.
    pub user: Option<Handle>,
    /// Strictly after this flag in the queue's order.
    pub after: Option<crate::domain::cursor::ScoreCursor>,
    pub limit: i64,
}

/// The storage filter for `q`; `None` when it names a topic or user nobody has used, which
/// matches nothing.
pub(crate) fn filter_of(conn: &mut DbConn, q: &Query) -> Result<Option<storage::flags::Filter>> {
    let topic_id = match &q.topic {
        Some(t) => match storage::topics::find_id(conn, t.as_str())? {
            Some(id) => Some(id),
            None => return Ok(None),
        },
        None => None,
    };
    let user_id = match &q.user {
        Some(h) => match storage::users::find_id(conn, h.as_str())? {
            Some(id) => Some(id),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some(storage::flags::Filter {
        status: q.status,
        reason: q.reason,
        endorsement_id: q.endorsement_id,
        topic_id,
        user_id,
        after: q.after.map(|c| (c.score, c.id)),
        limit: q.limit,
        ..Default::default()
    }))
}

/// One page of the queue, highest score first, oldest first on ties.
pub fn list(conn: &mut DbConn, q: &Query) -> Result<Vec<Flag>> {
    let Some(filter) = filter_of(conn, q)? else {
        return Ok(Vec::new());
    };
    Ok(storage::flags::list(conn, &filter)?
        .iter()
        .map(to_flag)
        .collect())
}

/// A flag with everything a moderator needs to judge it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagDetail {
    #[serde(flatten)]
    pub flag: Flag,
    /// What the detector saw: the ask and its cues, the note, the other endorsement.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    pub endorsement: Endorsement,
    pub review_note: Option<String>,
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<FlagDetail> {
    let named = storage::flags::find_named(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("flag {id}")))?;
    let row = &named.row;
    Ok(FlagDetail {
        flag: to_flag(&named),
        evidence: serde_json::from_str(&row.evidence)
            .map_err(|e| Error::Internal(format!("flag evidence: {e}")))?,
        endorsement: endorsements::get(conn, row.endorsement_id)?,
        review_note: row.review_note.clone(),
    })
}

/// Records a moderator's decision. Call with the writer's [`Tx`]. A flag is reviewed once.
pub fn review(
    tx: &mut Tx<'_>,
    id: i64,
    decision: Decision,
    note: Option<String>,
    by: &Principal,
    d: &Detection,
) -> Result<FlagDetail> {
    let row = storage::flags::find(tx.conn()?, id)?
        .ok_or_else(|| Error::NotFound(format!("flag {id}")))?;
    if row.status != FlagStatus::Open {
        return Err(Error::Conflict {
            code: "already_reviewed",
            detail: format!("flag {id} was already reviewed ({})", row.status.as_str()),
        });
    }
    let current = endorsements::get(tx.conn()?, row.endorsement_id)?.status;
    let other_open_holds = storage::flags::of_endorsement(tx.conn()?, row.endorsement_id)?
        .iter()
        .any(|f| f.id != id && f.status == FlagStatus::Open && f.score >= d.hold_threshold);
    let after = status_after_review(current, decision, other_open_holds);
    let now = time::now();
    let (decision_name, flag_status) = match decision {
        Decision::Uphold => ("uphold", FlagStatus::Upheld),
        Decision::Dismiss => ("dismiss", FlagStatus::Dismissed),
    };
    tx.append(now, |_| FlagReviewed {
        flag_id: id,
        endorsement_id: row.endorsement_id,
        decision: decision_name.to_string(),
        note: note.clone(),
        by: by.name.clone(),
        endorsement_status: after.as_str().to_string(),
    });
    let conn = tx.conn()?;
    storage::flags::set_reviewed(conn, id, flag_status, now, note.as_deref(), by.key_id)?;
    if after != current {
        storage::endorsements::set_status(conn, row.endorsement_id, after)?;
    }
    crate::metrics::get()
        .reviews
        .with_label_values(&[decision_name])
        .inc();
    get(conn, id)
}

/// Reviews every open flag raised for one reported ask (a backdated or malicious report is
/// dismissed in one action). A report that does not exist is `NotFound`; one whose flags are
/// all decided already gives an empty list.
pub fn review_report(
    tx: &mut Tx<'_>,
    solicitation_id: i64,
    decision: Decision,
    note: Option<String>,
    by: &Principal,
    d: &Detection,
) -> Result<Vec<FlagDetail>> {
    let conn = tx.conn()?;
    if storage::solicitations::find(conn, solicitation_id)?.is_none() {
        return Err(Error::NotFound(format!("solicitation {solicitation_id}")));
    }
    let ids: Vec<i64> = storage::flags::open_with_reason(conn, Reason::Solicited)?
        .into_iter()
        .filter(|(_, evidence)| {
            let evidence = serde_json::from_str(evidence).unwrap_or_default();
            flag::report_of(Reason::Solicited.as_str(), &evidence) == Some(solicitation_id)
        })
        .map(|(id, _)| id)
        .collect();
    review_all(tx, &ids, decision, note, by, d)
}

/// Reviews several flags with one decision. Refusals come before any write, so one flag
/// already reviewed (or missing) leaves all of them as they were.
pub fn review_all(
    tx: &mut Tx<'_>,
    ids: &[i64],
    decision: Decision,
    note: Option<String>,
    by: &Principal,
    d: &Detection,
) -> Result<Vec<FlagDetail>> {
    for id in ids {
        let row = storage::flags::find(tx.conn()?, *id)?
            .ok_or_else(|| Error::NotFound(format!("flag {id}")))?;
        if row.status != FlagStatus::Open {
            return Err(Error::Conflict {
                code: "already_reviewed",
                detail: format!(
                    "flag {id} was already reviewed ({}); none was changed",
                    row.status.as_str()
                ),
            });
        }
    }
    ids.iter()
        .map(|id| review(tx, *id, decision, note.clone(), by, d))
        .collect()
}
