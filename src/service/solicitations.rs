//! Recording reported solicitations as evidence, each with the classifier's verdict.

use super::tx::Tx;
use super::{Error, Principal, Result};
use crate::db::DbConn;
use crate::domain::flag::Detection;
use crate::domain::ledger::SolicitationRecorded;
use crate::domain::model::Event;
use crate::domain::rules::{self, BudgetUse, TopicPolicy, BUDGET_WINDOW};
use crate::domain::solicitation::classify;
use crate::domain::solicitation::request::{NewSolicitation, Solicitation};
use crate::domain::time::{self, from_db, to_db};
use crate::storage;

/// Classifies and records a report, with its ledger entry. Call with the writer's [`Tx`].
pub fn record(
    tx: &mut Tx<'_>,
    req: &NewSolicitation,
    by: &Principal,
    detection: &Detection,
    topics: TopicPolicy,
) -> Result<Solicitation> {
    let now = time::now();
    if let Some(limit) = detection.reports_per_key {
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
    if let Some(t) = req.topic.as_ref() {
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
        .map(|t| tx.topic_id(t.as_str(), now, Some(by.key_id)));
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
        reported_by: Some(by.name.clone()),
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
        created_by: Some(by.key_id),
    };
    storage::solicitations::insert(tx.conn()?, &row)?;
    if row.begging {
        let ask = super::model::ask_of(&row, Some(by.name.clone()))?;
        tx.model_mut().apply(Event::Asked(ask));
    }
    // An ask reported after the endorsements it prompted still flags them.
    super::detect::after_solicitation(tx, &row, &by.name, detection)?;
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
    Ok(Solicitation {
        id: row.id,
        requester: storage::users::handle_of(conn, row.requester_id)?,
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
