//! Giving, revoking, reading and listing endorsements.

use chrono::{DateTime, Utc};

use super::tx::Tx;
use super::{detect, Error, Principal, Result};
use crate::db::DbConn;
use crate::domain::cursor::Cursor;
use crate::domain::detect::{detect, Fresh};
use crate::domain::endorsement::{Endorsement, NewEndorsement, Status};
use crate::domain::flag::Detection;
use crate::domain::handle::Handle;
use crate::domain::keys::Role;
use crate::domain::ledger::{Created, Revoked};
use crate::domain::model::Event;
use crate::domain::rules::{self, BudgetUse, TopicPolicy, TripleHistory};
use crate::domain::time;
use crate::domain::topic::TopicSlug;
use crate::domain::Rejection;
use crate::storage::{self, idempotency};

/// One endorsement to record.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub req: &'a NewEndorsement,
    /// When it was given: now for API calls, the original time for imports. Rules are judged then.
    pub created_at: DateTime<Utc>,
    /// When its ledger entry is written: `created_at` for API calls (one reading of the clock,
    /// so its row stores one time), now for imports.
    pub logged_at: DateTime<Utc>,
    /// Daily budget in force; `None` lifts it.
    pub budget: Option<u32>,
    /// The API key creating it; `None` for imports.
    pub by: Option<&'a Principal>,
    /// The begging detectors' settings.
    pub detection: &'a Detection,
    /// Who may create a topic by using it (API writes only; imports create what they name).
    pub topics: TopicPolicy,
}

/// Records one endorsement and its ledger entry, with the detectors' flags. Call with a [`Tx`].
/// The rules and detectors read the model; nothing is changed unless the rules pass, so a
/// refusal leaves the batch as it found it (the writer's batches rely on this).
pub fn record(tx: &mut Tx<'_>, r: &Record<'_>) -> Result<Endorsement> {
    let (req, at) = (&in_topic(tx, r.req), r.created_at);
    if req.endorser == req.endorsee {
        return Err(Rejection::SelfEndorsement.into());
    }
    let m = tx.model();
    let (a, b, t) = (
        m.users.id(req.endorser.as_str()),
        m.users.id(req.endorsee.as_str()),
        m.topics.id(req.topic.as_str()),
    );
    // A user or topic seen for the first time has no history to judge.
    let triple = match (a, b, t) {
        (Some(a), Some(b), Some(t)) => m.triple((a, b, t)),
        _ => TripleHistory::default(),
    };
    let budget = match a {
        Some(id) => m.budget_use(id, r.budget, at),
        None => BudgetUse {
            limit: r.budget,
            used: 0,
            oldest: None,
        },
    };
    rules::check_new(req, triple, budget, at)?;
    if t.is_none() {
        if let Some(by) = r.by {
            super::topics::check_new(tx, req.topic.as_str(), by, &r.topics, at)?;
        }
    }

    let endorser_id = tx.user_id(req.endorser.as_str(), at);
    let endorsee_id = tx.user_id(req.endorsee.as_str(), at);
    let topic_id = tx.topic_id(req.topic.as_str(), at, r.by.map(|p| p.key_id));
    // The endorsement's id is the seq of the entry that creates it: unique, increasing, and
    // known before the entry is hashed.
    let (seq, payload) = tx.append(r.logged_at, |seq| Created {
        id: seq,
        endorser: req.endorser.to_string(),
        endorsee: req.endorsee.to_string(),
        topic: req.topic.to_string(),
        note: req.note.clone(),
        created_at: at,
        created_by: r.by.map(|p| p.name.clone()),
    });
    // Kept on the row (`storage::ledger`): the detectors below append entries after it.
    let entry_hash = tx.head_hash();
    let triple = (endorser_id, endorsee_id, topic_id);
    tx.model_mut().apply(Event::Created {
        id: seq,
        triple,
        at,
    });
    let fresh = Fresh {
        id: seq,
        endorser: endorser_id,
        endorsee: endorsee_id,
        endorsee_name: req.endorsee.as_str(),
        topic: topic_id,
        at,
        note: req.note.as_deref(),
    };
    let findings = detect(tx.model(), &fresh, r.detection);
    let groups: Vec<_> = findings
        .iter()
        .filter(|f| !f.group.is_empty())
        .cloned()
        .collect();
    let status = detect::raise_all(tx, seq, Status::Active, findings, r.detection)?;
    tx.insert_endorsement(storage::endorsements::NewRow {
        id: seq,
        endorser_id,
        endorsee_id,
        topic_id,
        note: req.note.clone(),
        status,
        created_at: at,
        created_by: r.by.map(|p| p.key_id),
        entry_hash,
        entry_at: (r.logged_at != at).then_some(r.logged_at),
    });
    detect::raise_on_groups(tx, &groups, r.detection)?;
    Ok(Endorsement {
        id: seq,
        endorser: payload.endorser,
        endorsee: payload.endorsee,
        topic: payload.topic,
        note: payload.note,
        status,
        created_at: at,
        revoked_at: None,
        ledger_seq: seq,
    })
}

/// `req` with its topic as writes see it (a merged topic's slug names the topic it joined).
fn in_topic(tx: &Tx<'_>, req: &NewEndorsement) -> NewEndorsement {
    NewEndorsement {
        topic: tx.topic(&req.topic),
        ..req.clone()
    }
}

/// A client's `Idempotency-Key` and a hash of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// What `create` did.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    /// Recorded now.
    New(Endorsement),
    /// A retry: the endorsement recorded by the first request with this Idempotency-Key.
    Replayed(Endorsement),
}

/// The API's create: the idempotency check, the rules and the insert. Call inside a write
/// transaction (the writer's batch), which makes them one atomic step.
pub fn create(
    tx: &mut Tx<'_>,
    req: &NewEndorsement,
    by: &Principal,
    budget: Option<u32>,
    idem: Option<&IdempotencyKey>,
    detection: &Detection,
    topics: TopicPolicy,
) -> Result<CreateOutcome> {
    if let Some(i) = idem {
        if let Some(rec) = tx.idempotency(by.key_id, &i.key)? {
            if rec.request_hash != i.request_hash {
                return Err(Error::IdempotencyMismatch);
            }
            let original = serde_json::from_str(&rec.response_body)
                .map_err(|e| Error::Internal(format!("stored idempotent response: {e}")))?;
            return Ok(CreateOutcome::Replayed(original));
        }
    }
    // Read the clock under the write lock, so creation times follow ledger order.
    let now = time::now();
    let rec = Record {
        req,
        created_at: now,
        logged_at: now,
        budget,
        by: Some(by),
        detection,
        topics,
    };
    let e = record(tx, &rec)?;
    if let Some(i) = idem {
        let record = idempotency::Record {
            request_hash: i.request_hash.clone(),
            status_code: 201,
            response_body: serde_json::to_string(&e).map_err(|e| Error::Internal(e.to_string()))?,
        };
        tx.insert_idempotency(idempotency::New {
            api_key_id: by.key_id,
            key: i.key.clone(),
            record,
            at: now,
        });
    }
    Ok(CreateOutcome::New(e))
}

/// Revokes an endorsement; only the key that created it, or an admin, may. Call inside a
/// write transaction; refusals come before any write.
pub fn revoke(tx: &mut Tx<'_>, id: i64, by: &Principal) -> Result<Endorsement> {
    let view = storage::endorsements::find(tx.conn()?, id)?.ok_or_else(|| not_found(id))?;
    if by.role != Role::Admin && view.created_by != Some(by.key_id) {
        return Err(Error::Forbidden(
            "only the app that created an endorsement, or an admin, can revoke it".into(),
        ));
    }
    let mut e = view.to_endorsement();
    rules::check_revoke(e.status)?;
    let triple = storage::endorsements::triple_of(tx.conn()?, id)?.ok_or_else(|| not_found(id))?;
    let now = time::now();
    let by_name = Some(by.name.clone());
    tx.append(now, |_| Revoked {
        id,
        revoked_at: now,
        by: by_name,
    });
    storage::endorsements::set_revoked(tx.conn()?, id, now)?;
    tx.model_mut().apply(Event::Revoked { id, triple });
    e.status = Status::Revoked;
    e.revoked_at = Some(now);
    Ok(e)
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("endorsement {id}"))
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Endorsement> {
    let view = storage::endorsements::find(conn, id)?.ok_or_else(|| not_found(id))?;
    Ok(view.to_endorsement())
}

/// A listing request, validated.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub endorser: Option<Handle>,
    pub endorsee: Option<Handle>,
    pub topic: Option<TopicSlug>,
    pub status: Option<Status>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

/// One page, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Endorsement>,
    pub next_cursor: Option<String>,
}

pub fn list(conn: &mut DbConn, q: &ListQuery) -> Result<Page> {
    let endorser = resolve(q.endorser.as_ref(), |h| {
        storage::users::find_id(conn, h.as_str())
    })?;
    let endorsee = resolve(q.endorsee.as_ref(), |h| {
        storage::users::find_id(conn, h.as_str())
    })?;
    let topic = resolve(q.topic.as_ref(), |t| {
        storage::topics::find_id(conn, t.as_str())
    })?;
    // A handle or topic nobody has used yet matches nothing.
    if [endorser, endorsee, topic].contains(&Some(None)) {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let filter = storage::endorsements::Filter {
        endorser_id: endorser.flatten(),
        endorsee_id: endorsee.flatten(),
        topic_id: topic.flatten(),
        status: q.status,
        since: q.since,
        until: q.until,
        before: q.cursor,
        limit: q.limit + 1,
        ..Default::default()
    };
    let views = storage::endorsements::select(conn, &filter)?;
    let mut items: Vec<Endorsement> = views.iter().map(|v| v.to_endorsement()).collect();
    let next_cursor = if items.len() as i64 > q.limit {
        items.truncate(q.limit as usize);
        items.last().map(|e| {
            Cursor {
                created_at: e.created_at,
                id: e.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Looks up the id a filter names: `None` without a filter, `Some(None)` when it names nothing.
fn resolve<T>(
    filter: Option<&T>,
    find: impl FnOnce(&T) -> diesel::QueryResult<Option<i32>>,
) -> Result<Option<Option<i32>>> {
    Ok(filter.map(find).transpose()?)
}
