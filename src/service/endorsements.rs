//! Giving, revoking, reading and listing endorsements.

use chrono::{DateTime, Utc};

use super::{ledger, Error, Principal, Result};
use crate::db::{write_tx, DbConn};
use crate::domain::cursor::Cursor;
use crate::domain::endorsement::{Endorsement, NewEndorsement, Status};
use crate::domain::handle::Handle;
use crate::domain::keys::Role;
use crate::domain::ledger::{Created, Revoked, ENDORSEMENT_CREATED, ENDORSEMENT_REVOKED};
use crate::domain::rules::{self, BUDGET_WINDOW};
use crate::domain::time;
use crate::domain::topic::TopicSlug;
use crate::storage::{self, idempotency};

/// One endorsement to record.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub req: &'a NewEndorsement,
    /// When it was given: now for API calls, the original time for imports. Rules are judged then.
    pub created_at: DateTime<Utc>,
    /// Daily budget in force; `None` lifts it.
    pub budget: Option<u32>,
    /// The API key creating it; `None` for imports.
    pub by: Option<&'a Principal>,
}

/// Records one endorsement and its ledger entry. Call inside a write transaction.
pub fn record(conn: &mut DbConn, r: &Record<'_>) -> Result<Endorsement> {
    if r.req.endorser == r.req.endorsee {
        return Err(crate::domain::Rejection::SelfEndorsement.into());
    }
    let at = r.created_at;
    let endorser_id = storage::users::get_or_create(conn, r.req.endorser.as_str(), at)?;
    let endorsee_id = storage::users::get_or_create(conn, r.req.endorsee.as_str(), at)?;
    let topic_id = storage::topics::get_or_create(conn, r.req.topic.as_str(), at)?;
    let triple = storage::endorsements::triple_history(conn, endorser_id, endorsee_id, topic_id)?;
    let budget =
        storage::endorsements::budget_use(conn, endorser_id, r.budget, at - BUDGET_WINDOW, at)?;
    rules::check_new(r.req, triple, budget, at)?;

    let id = storage::endorsements::next_id(conn)?;
    let payload = Created {
        id,
        endorser: r.req.endorser.to_string(),
        endorsee: r.req.endorsee.to_string(),
        topic: r.req.topic.to_string(),
        note: r.req.note.clone(),
        created_at: at,
        created_by: r.by.map(|p| p.name.clone()),
    };
    let entry = ledger::append(conn, ENDORSEMENT_CREATED, time::now(), &payload)?;
    storage::endorsements::insert(
        conn,
        &storage::endorsements::NewRow {
            id,
            endorser_id,
            endorsee_id,
            topic_id,
            note: r.req.note.as_deref(),
            created_at: at,
            ledger_seq: entry.seq,
            created_by: r.by.map(|p| p.key_id),
        },
    )?;
    Ok(Endorsement {
        id,
        endorser: payload.endorser,
        endorsee: payload.endorsee,
        topic: payload.topic,
        note: payload.note,
        status: Status::Active,
        created_at: at,
        ledger_seq: entry.seq,
    })
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

/// The API's create: one write transaction holding the idempotency check, the rules and the insert.
pub fn create(
    conn: &mut DbConn,
    req: &NewEndorsement,
    by: &Principal,
    budget: Option<u32>,
    idem: Option<&IdempotencyKey>,
) -> Result<CreateOutcome> {
    write_tx(conn, |conn| {
        if let Some(i) = idem {
            if let Some(rec) = idempotency::find(conn, by.key_id, &i.key)? {
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
            budget,
            by: Some(by),
        };
        let e = record(conn, &rec)?;
        if let Some(i) = idem {
            let stored = idempotency::Record {
                request_hash: i.request_hash.clone(),
                status_code: 201,
                response_body: serde_json::to_string(&e)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            };
            idempotency::insert(conn, by.key_id, &i.key, &stored, now)?;
        }
        Ok(CreateOutcome::New(e))
    })
}

/// Revokes an endorsement; only the key that created it, or an admin, may.
pub fn revoke(conn: &mut DbConn, id: i64, by: &Principal) -> Result<Endorsement> {
    write_tx(conn, |conn| {
        let view = storage::endorsements::find(conn, id)?.ok_or_else(|| not_found(id))?;
        if by.role != Role::Admin && view.created_by != Some(by.key_id) {
            return Err(Error::Forbidden(
                "only the app that created an endorsement, or an admin, can revoke it".into(),
            ));
        }
        let mut e = view.to_endorsement()?;
        if e.status == Status::Revoked {
            return Err(crate::domain::Rejection::AlreadyRevoked.into());
        }
        let now = time::now();
        let payload = Revoked {
            id,
            revoked_at: now,
            by: Some(by.name.clone()),
        };
        ledger::append(conn, ENDORSEMENT_REVOKED, now, &payload)?;
        storage::endorsements::set_revoked(conn, id, now)?;
        e.status = Status::Revoked;
        Ok(e)
    })
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("endorsement {id}"))
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Endorsement> {
    let view = storage::endorsements::find(conn, id)?.ok_or_else(|| not_found(id))?;
    Ok(view.to_endorsement()?)
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
    let mut items = views
        .iter()
        .map(|v| v.to_endorsement())
        .collect::<diesel::QueryResult<Vec<_>>>()?;
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
