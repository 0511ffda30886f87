//! Recording reported solicitations as evidence, each with the classifier's verdict.

use super::tx::Tx;
use super::{Error, Principal, Result};
use crate::db::DbConn;
use crate::domain::cursor::Cursor;
use crate::domain::flag::Detection;
use crate::domain::handle::Handle;
use crate::domain::ledger::SolicitationRecorded;
use crate::domain::model::Event;
use crate::domain::rules::{self, BudgetUse, TopicPolicy, BUDGET_WINDOW};
use crate::domain::solicitation::classify;
use crate::domain::solicitation::request::{NewSolicitation, Solicitation};
use crate::domain::time::{self, from_db, to_db};
use crate::domain::topic::TopicSlug;
use crate::storage;

/// Classifies and records a report, with its ledger entry. Call with the writer's [`Tx`]. `by`
/// is the reporting key; `None` for asks a history brings along (`plusk import`), which no
/// key reported and whose topics are created as named.
pub fn record(
    tx: &mut Tx<'_>,
    req: &NewSolicitation,
    by: Option<&Principal>,
    detection: &Detection,
    topics: TopicPolicy,
) -> Result<Solicitation> {
    let now = time::now();
    if let (Some(limit), Some(by)) = (detection.reports_per_key, by) {
        let recent =
            storage::solicitations::reported_since(tx.conn()?, by.key_id, now - BUDGET_WINDOW)?;
        let reports = BudgetUse {
            limit: Some(limit),
            used: u32::try_from(recent.len()).unwrap_or(u32::MAX),
            oldest: recent.first().map(|s| s.utc()),
        };
        rules::check_report(&by.name, reports, now)?;
    }
    let observed_at = req.observed_at.unwrap_or(now);
    // A merged topic's slug names the topic it joined.
    let req = &NewSolicitation {
        topic: req.topic.as_ref().map(|t| tx.topic(t)),
        ..req.clone()
    };
    if let (Some(t), Some(by)) = (req.topic.as_ref(), by) {
        if tx.model().topics.id(t.as_str()).is_none() {
            super::topics::check_new(tx, t.as_str(), by, &topics, now)?;
        }
    }
    let verdict = classify(&req.text);
    let requester_id = tx.user_id(req.requester.as_str(), observed_at);
    let target_id = req
        .target
        .as_ref()
        .map(|t| tx.user_id(t.as_str(), observed_at));
    let topic_id = req
        .topic
        .as_ref()
        .map(|t| tx.topic_id(t.as_str(), now, by.map(|p| p.key_id)));
    let (seq, payload) = tx.append(now, |seq| SolicitationRecorded {
        id: seq,
        requester: req.requester.to_string(),
        target: req.target.as_ref().map(ToString::to_string),
        topic: req.topic.as_ref().map(ToString::to_string),
        text: req.text.clone(),
        channel: req.channel.clone(),
        observed_at,
        begging: verdict.begging,
        score: verdict.score,
        cues: verdict.cues.clone(),
        language: verdict.language.clone(),
        reported_by: by.map(|p| p.name.clone()),
    });
    let row = storage::solicitations::Row {
        id: payload.id,
        requester_id,
        target_id,
        topic_id,
        text: req.text.clone(),
        channel: req.channel.clone(),
        observed_at: to_db(observed_at),
        begging: verdict.begging,
        score: verdict.score,
        cues: serde_json::to_string(&verdict.cues).map_err(|e| Error::Internal(e.to_string()))?,
        language: verdict.language.clone(),
        ledger_seq: seq,
        created_by: by.map(|p| p.key_id),
    };
    storage::solicitations::insert(tx.conn()?, &row)?;
    // The model keeps it if it begs for the requester or for someone it names.
    let ask = super::model::ask_of(&row, by.map(|p| p.name.clone()))?;
    tx.model_mut().apply(Event::Asked(ask.clone()));
    // An ask reported after the endorsements it prompted still flags them.
    super::detect::after_solicitation(tx, &row, &ask, detection)?;
    Ok(Solicitation::from_parts(
        payload.id,
        req,
        observed_at,
        verdict,
        seq,
    ))
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Solicitation> {
    let row = storage::solicitations::find(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("solicitation {id}")))?;
    let target = row
        .target_id
        .map(|t| storage::users::handle_of(conn, t))
        .transpose()?;
    let topic = row
        .topic_id
        .map(|t| storage::topics::slug_of(conn, t))
        .transpose()?;
    let requester = storage::users::handle_of(conn, row.requester_id)?;
    to_solicitation(row, requester, target, topic)
}

fn to_solicitation(
    row: storage::solicitations::Row,
    requester: String,
    target: Option<String>,
    topic: Option<String>,
) -> Result<Solicitation> {
    Ok(Solicitation {
        id: row.id,
        requester,
        target,
        topic,
        text: row.text,
        channel: row.channel,
        observed_at: from_db(row.observed_at),
        begging: row.begging,
        score: row.score,
        cues: serde_json::from_str(&row.cues)
            .map_err(|e| Error::Internal(format!("stored cues: {e}")))?,
        language: row.language,
        ledger_seq: row.ledger_seq,
    })
}

/// Which reports to list, as a client names them.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub requester: Option<Handle>,
    pub target: Option<Handle>,
    pub topic: Option<TopicSlug>,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

/// One page of reports, newest observed first, and the cursor of the next.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Solicitation>,
    pub next_cursor: Option<String>,
}

/// Reports matching `q`. A handle or topic nobody has used matches nothing.
pub fn list(conn: &mut DbConn, q: &ListQuery) -> Result<Page> {
    let empty = Page {
        items: Vec::new(),
        next_cursor: None,
    };
    let mut filter = storage::solicitations::Filter {
        before: q.cursor.map(|c| (to_db(c.created_at), c.id)),
        limit: q.limit + 1,
        ..Default::default()
    };
    for (handle, slot) in [
        (&q.requester, &mut filter.requester_id),
        (&q.target, &mut filter.target_id),
    ] {
        if let Some(h) = handle {
            match storage::users::find_id(conn, h.as_str())? {
                Some(id) => *slot = Some(id),
                None => return Ok(empty),
            }
        }
    }
    if let Some(t) = &q.topic {
        match storage::topics::find_id(conn, t.as_str())? {
            Some(id) => filter.topic_id = Some(id),
            None => return Ok(empty),
        }
    }
    let mut items = storage::solicitations::list(conn, &filter)?
        .into_iter()
        .map(|(row, requester, target, topic, _)| to_solicitation(row, requester, target, topic))
        .collect::<Result<Vec<_>>>()?;
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    let next_cursor = (items.len() > limit).then(|| {
        items.truncate(limit);
        items.last().map(|s| {
            Cursor {
                created_at: s.observed_at,
                id: s.id,
            }
            .encode()
        })
    });
    Ok(Page {
        items,
        next_cursor: next_cursor.flatten(),
    })
}
