//! Building the writer's model from the database, and keeping it in step with ledger entries
//! other writers (another instance, `plusk import`) committed.

use std::time::Instant;

use super::{Error, Result};
use crate::db::instant::Stamp;
use crate::db::{snapshot_tx, DbConn};
use crate::domain::flag::Detection;
use crate::domain::ledger::{
    Created, Entry, Revoked, SeedsSet, SolicitationRecorded, ENDORSEMENT_CREATED,
    ENDORSEMENT_REVOKED, SEEDS_SET, SOLICITATION_RECORDED, TOPIC_MERGED,
};
use crate::domain::model::{micros, Ask, Event, Model};
// Reading an ask for each user it names costs a classification each, paid once per ask (when
// it is recorded, loaded or caught up on).
use crate::domain::solicitation::on_behalf::begged_for;
use crate::domain::time::{from_db, to_db};
use crate::storage;

/// Rows read per query while loading.
const LOAD_PAGE: i64 = 100_000;

/// Reads everything the model holds, on one consistent snapshot.
pub fn load(conn: &mut DbConn, d: &Detection) -> Result<Model> {
    let started = Instant::now();
    let model = snapshot_tx(conn, |conn| load_in(conn, d))?;
    let (triples, edges) = model.size();
    tracing::info!(
        users = model.users.len(),
        topics = model.topics.len(),
        triples,
        recent_edges = edges,
        head = model.head().map_or(0, |h| h.seq),
        ms = started.elapsed().as_millis() as u64,
        "writer state loaded"
    );
    Ok(model)
}

/// The model for a batch: loaded if there is none (at start, or after a batch was rolled back
/// and left it behind the database), then caught up with other writers' entries. Call inside
/// the write transaction.
pub fn ready<'m>(
    conn: &mut DbConn,
    slot: &'m mut Option<Model>,
    d: &Detection,
) -> Result<&'m mut Model> {
    if let Some(m) = slot.as_mut() {
        if catch_up(conn, m)? == CaughtUp::Reload {
            *slot = None;
        }
    }
    match slot {
        Some(m) => Ok(m),
        // Loaded in this transaction: nothing is left to catch up with.
        None => Ok(slot.insert(load_in(conn, d)?)),
    }
}

/// What catching up with other writers' entries left the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaughtUp {
    /// In step with the ledger, after applying this many entries.
    Applied(usize),
    /// Behind a topic merge, which moves more than a model can follow entry by entry: load it
    /// again (merges are rare).
    Reload,
}

fn load_in(conn: &mut DbConn, d: &Detection) -> Result<Model> {
    let retain = crate::domain::detect::lookback(d);
    let mut m = Model::new(retain);
    let mut after = 0;
    loop {
        let page = storage::users::page_ids(conn, after, LOAD_PAGE)?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        page.iter().for_each(|(id, h)| m.users.register(*id, h));
    }
    for (id, slug) in storage::topics::all_ids(conn)? {
        m.topics.register(id, &slug);
    }
    for (slug, into) in storage::topics::aliases(conn)? {
        m.merged_topic(&slug, into);
    }
    // Neighbourhoods are kept from the newest endorsement back, not from the clock: a
    // back-filled history is judged against its own recent past.
    let newest = storage::endorsements::newest(conn)?.map(Stamp::utc);
    let horizon = newest.map(|n| micros(Model::horizon(n, retain)));
    let (mut after, mut loaded) = (0i64, 0usize);
    loop {
        let page = storage::endorsements::page_for_model(conn, after, LOAD_PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (id, a, b, t, at, live) in page {
            if horizon.is_some_and(|h| at >= h) {
                m.load_endorsement(id, (a, b, t), at, live);
            } else {
                m.load_triple(id, (a, b, t), at, live);
            }
            loaded += 1;
        }
        if loaded % 1_000_000 < LOAD_PAGE as usize {
            tracing::info!(endorsements = loaded, "loading the writer state");
        }
    }
    m.finish_load();
    if let Some(n) = newest {
        let from = to_db(Model::horizon(n, retain));
        // Keys are few: their names once, not a lookup per ask.
        let names: std::collections::HashMap<i32, String> = storage::keys::list(conn)?
            .into_iter()
            .map(|k| (k.id, k.name))
            .collect();
        for row in storage::solicitations::asks_since(conn, from)? {
            let by = row.created_by.and_then(|id| names.get(&id).cloned());
            m.apply(Event::Asked(ask_of(&row, by)?));
        }
    }
    if let Some((seq, hash)) = storage::ledger::head(conn)? {
        m.set_head(seq, hash);
    }
    Ok(m)
}

/// An ask as the model keeps it, from its stored row and the name of the key that reported it.
pub fn ask_of(row: &storage::solicitations::Row, reported_by: Option<String>) -> Result<Ask> {
    Ok(Ask {
        id: row.id,
        requester: row.requester_id,
        target: row.target_id,
        topic: row.topic_id,
        observed_at: micros(from_db(row.observed_at)),
        score: row.score,
        text: row.text.clone(),
        cues: serde_json::from_str(&row.cues)
            .map_err(|e| Error::Internal(format!("stored cues: {e}")))?,
        reported_by,
        begged_for: begged_for(&row.text),
    })
}

/// Applies the entries other writers committed since the model's head. Call under the write
/// lock, before a batch. With one writer this is one indexed read that finds nothing new.
pub fn catch_up(conn: &mut DbConn, m: &mut Model) -> Result<CaughtUp> {
    let db_head = storage::ledger::head(conn)?;
    let mine = m.head().map(|h| (h.seq, h.hash.clone()));
    if db_head == mine {
        return Ok(CaughtUp::Applied(0));
    }
    // Users and topics other writers added have ids above the largest this model knows: one
    // read each registers them all, where a lookup per new handle would cost a round trip each.
    register_new(conn, m)?;
    let mut applied = 0;
    loop {
        let after = m.head().map_or(0, |h| h.seq);
        let page = super::ledger::page(conn, after, storage::MAX_PAGE)?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            if entry.kind == TOPIC_MERGED {
                return Ok(CaughtUp::Reload);
            }
            apply_entry(conn, m, entry)?;
            applied += 1;
        }
    }
    if m.head().map(|h| (h.seq, h.hash.clone())) != db_head {
        return Err(Error::Internal(
            "the ledger head moved under the writer's state".into(),
        ));
    }
    tracing::debug!(entries = applied, "writer state caught up");
    Ok(CaughtUp::Applied(applied))
}

fn register_new(conn: &mut DbConn, m: &mut Model) -> Result<()> {
    loop {
        let page = storage::users::page_ids(conn, m.users.max_id(), LOAD_PAGE)?;
        if page.is_empty() {
            break;
        }
        page.iter().for_each(|(id, h)| m.users.register(*id, h));
    }
    for (id, slug) in storage::topics::ids_after(conn, m.topics.max_id())? {
        m.topics.register(id, &slug);
    }
    Ok(())
}

fn apply_entry(conn: &mut DbConn, m: &mut Model, e: &Entry) -> Result<()> {
    let expected = m
        .head()
        .map_or(crate::domain::ledger::GENESIS_HASH, |h| h.hash.as_str());
    if e.prev_hash != expected {
        return Err(Error::Internal(format!(
            "ledger entry {} does not follow the writer's state",
            e.seq
        )));
    }
    let parse = |what: &str, err: serde_json::Error| {
        Error::Internal(format!("ledger entry {} ({what}): {err}", e.seq))
    };
    match e.kind.as_str() {
        ENDORSEMENT_CREATED => {
            let c: Created = serde_json::from_str(&e.payload).map_err(|x| parse(&e.kind, x))?;
            let triple = (
                user(conn, m, &c.endorser)?,
                user(conn, m, &c.endorsee)?,
                topic(conn, m, &c.topic)?,
            );
            m.apply(Event::Created {
                id: c.id,
                triple,
                at: c.created_at,
            });
        }
        ENDORSEMENT_REVOKED => {
            let r: Revoked = serde_json::from_str(&e.payload).map_err(|x| parse(&e.kind, x))?;
            if let Some(triple) = storage::endorsements::triple_of(conn, r.id)? {
                m.apply(Event::Revoked { id: r.id, triple });
            }
        }
        SOLICITATION_RECORDED => {
            let s: SolicitationRecorded =
                serde_json::from_str(&e.payload).map_err(|x| parse(&e.kind, x))?;
            let requester = user(conn, m, &s.requester)?;
            let target = s.target.as_deref().map(|t| user(conn, m, t)).transpose()?;
            let topic = s.topic.as_deref().map(|t| topic(conn, m, t)).transpose()?;
            // The model keeps the ask if it begs for anyone, the requester or a user it names.
            m.apply(Event::Asked(Ask {
                id: s.id,
                requester,
                target,
                topic,
                observed_at: micros(s.observed_at),
                score: s.score,
                begged_for: begged_for(&s.text),
                text: s.text,
                cues: s.cues,
                reported_by: s.reported_by,
            }));
        }
        SEEDS_SET => {
            let s: SeedsSet = serde_json::from_str(&e.payload).map_err(|x| parse(&e.kind, x))?;
            topic(conn, m, &s.topic)?;
            for h in &s.seeds {
                user(conn, m, h)?;
            }
        }
        _ => {}
    }
    m.set_head(e.seq, e.hash.clone());
    Ok(())
}

/// The id of a handle another writer added: looked up once, then known.
fn user(conn: &mut DbConn, m: &mut Model, handle: &str) -> Result<i32> {
    if let Some(id) = m.users.id(handle) {
        return Ok(id);
    }
    let id = storage::users::find_id(conn, handle)?.ok_or_else(|| {
        Error::Internal(format!("the ledger names user {handle}, who is not stored"))
    })?;
    m.users.register(id, handle);
    Ok(id)
}

fn topic(conn: &mut DbConn, m: &mut Model, slug: &str) -> Result<i32> {
    if let Some(id) = m.topics.id(slug) {
        return Ok(id);
    }
    let id = storage::topics::find_id(conn, slug)?.ok_or_else(|| {
        Error::Internal(format!(
            "the ledger names topic {slug}, which is not stored"
        ))
    })?;
    m.topics.register(id, slug);
    Ok(id)
}
