//! The periodic sweep, gathered and applied: reads the last weeks of endorsements into a model
//! of their own, asks `domain::detect::sweep` which groups they hold, and flags every
//! endorsement of each. Judging reads a snapshot and holds no write lock; only the flags go
//! through a write transaction, and an endorsement already flagged for the same reason is left
//! as it is, so sweeps that overlap (two instances, a sweep after a write-time finding) agree.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::tx::Tx;
use super::writer::Writer;
use super::Result;
use crate::db::{snapshot_tx, DbConn, DbPool};
use crate::domain::detect::sweep::{self, Case, Edge};
use crate::domain::endorsement::Status;
use crate::domain::flag::{Detection, Reason};
use crate::domain::model::{instant, micros, Model};
use crate::storage;

/// Users' handles read per query (lockstep evidence names them).
const HANDLES_PER_QUERY: usize = 10_000;

/// What a sweep found, before anything is written.
#[derive(Debug, Clone)]
pub struct Found {
    /// Endorsements judged (live ones in the window).
    pub judged: usize,
    pub cases: Vec<Case>,
    pub ms: u128,
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub judged: usize,
    pub groups: usize,
    /// Flags raised: endorsements of the groups not yet flagged for that reason.
    pub flagged: usize,
}

/// Judges the endorsements of the last [`sweep::WINDOW`] before the newest one (a back-filled
/// history is judged against its own time, as the writer's model is).
pub fn find(conn: &mut DbConn, d: &Detection) -> Result<Found> {
    let started = Instant::now();
    if !d.enabled {
        return Ok(Found {
            judged: 0,
            cases: Vec::new(),
            ms: 0,
        });
    }
    let (model, edges) = snapshot_tx(conn, gather)?;
    let cases = sweep::sweep(&model, &edges, d);
    Ok(Found {
        judged: edges.len(),
        cases,
        ms: started.elapsed().as_millis(),
    })
}

fn gather(conn: &mut DbConn) -> Result<(Model, Vec<Edge>)> {
    let Some(newest) = storage::endorsements::newest(conn)? else {
        return Ok((Model::new(sweep::lookback()), Vec::new()));
    };
    let newest = newest.utc();
    let rows = storage::endorsements::created_since(conn, newest - sweep::lookback())?;
    let mut model = Model::new(sweep::lookback());
    let mut users: Vec<i32> = rows.iter().flat_map(|r| [r.1, r.2]).collect();
    users.sort_unstable();
    users.dedup();
    for chunk in users.chunks(HANDLES_PER_QUERY) {
        for (id, handle) in storage::users::handles(conn, chunk)? {
            model.users.register(id, &handle);
        }
    }
    let judged_from = micros(newest - sweep::WINDOW);
    let mut edges = Vec::new();
    for (id, endorser, endorsee, topic, at, live) in rows {
        model.load_endorsement(id, (endorser, endorsee, topic), at, live);
        if live && at >= judged_from {
            edges.push(Edge {
                id,
                endorser,
                endorsee,
                topic,
                at: instant(at),
            });
        }
    }
    model.finish_load();
    Ok((model, edges))
}

/// Endorsements whose flags and statuses are read per query when applying.
const IDS_PER_QUERY: usize = 1_000;

/// Flags every endorsement of each group found that has no flag of that reason yet; call in a
/// write transaction. What is flagged already is read in a few queries, not two per id: a
/// sweep's groups can hold thousands of endorsements, and on a server this runs in one of the
/// writer's batches.
pub fn apply(tx: &mut Tx<'_>, found: &Found, d: &Detection) -> Result<Report> {
    let mut ids: Vec<i64> = found.cases.iter().flat_map(Case::endorsements).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut flagged: HashSet<(i64, Reason)> = HashSet::new();
    let mut status: HashMap<i64, Status> = HashMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let conn = tx.conn()?;
        for f in storage::flags::of_endorsements(conn, chunk)? {
            flagged.insert((f.endorsement_id, f.reason));
        }
        status.extend(storage::endorsements::statuses_of(conn, chunk)?);
    }
    let mut raised = 0;
    for case in &found.cases {
        let reason = case.finding.reason;
        for id in case.endorsements() {
            let Some(current) = status.get(&id).copied() else {
                continue;
            };
            if !flagged.insert((id, reason)) {
                continue;
            }
            let after = super::detect::raise_on_stored(tx, id, current, case.finding.clone(), d)?;
            status.insert(id, after);
            raised += 1;
        }
    }
    Ok(Report {
        judged: found.judged,
        groups: found.cases.len(),
        flagged: raised,
    })
}

/// Runs the sweep every `d.sweep_every` on a thread of its own, once the writer has started,
/// until the writer is gone. Judging uses a pool connection; the flags go through the writer.
pub fn spawn(pool: DbPool, writer: &Arc<Writer>, d: Detection) -> std::io::Result<()> {
    let Some(every) = d.sweep_every.and_then(|e| e.to_std().ok()) else {
        return Ok(());
    };
    if !d.enabled {
        return Ok(());
    }
    let (writer, started) = (Arc::downgrade(writer), writer.started());
    std::thread::Builder::new()
        .name("plusk-detection-sweep".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            let Some(w) = writer.upgrade() else { return };
            if !started.load(Ordering::Acquire) {
                continue;
            }
            match once(&pool, &w, &d) {
                Ok(r) => tracing::info!(
                    judged = r.judged,
                    groups = r.groups,
                    flagged = r.flagged,
                    "detection sweep done"
                ),
                Err(e) => tracing::warn!(error = %e, "detection sweep failed; next one as planned"),
            }
        })?;
    Ok(())
}

fn once(pool: &DbPool, writer: &Writer, d: &Detection) -> Result<Report> {
    let mut conn = pool.get()?;
    let found = find(&mut conn, d)?;
    drop(conn);
    if found.cases.is_empty() {
        return Ok(Report {
            judged: found.judged,
            groups: 0,
            flagged: 0,
        });
    }
    let d = *d;
    writer.run_blocking(move |tx| apply(tx, &found, &d))
}
