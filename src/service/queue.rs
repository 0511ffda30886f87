//! The moderation queue as the console shows it: each flag with its evidence at a glance (the
//! pattern it belongs to, drawn as a graph or a sparkline) and the open flags a bulk review of
//! that pattern decides. The decisions themselves go through [`super::flags`].

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::flags::{filter_of, to_flag, Query};
use super::{Error, Result};
use crate::db::DbConn;
use crate::domain::flag::{Flag, FlagStatus, Reason};
use crate::domain::flag_group::{belongs, hourly, is_pattern, Member};
use crate::domain::time::from_db;
use crate::storage;
use crate::storage::flags::Named;

/// Most flags of one pattern looked at (a ring has at most six; lockstep groups and bursts are
/// larger but a screenful is enough to judge and decide them).
const MAX_GROUP: i64 = 200;
/// Hours a burst's sparkline covers, ending at the flag.
const BURST_HOURS: usize = 24;

/// One row of the console's queue.
#[derive(Debug, Clone)]
pub struct Item {
    pub flag: Flag,
    pub evidence: Value,
    /// When the flagged endorsement was given.
    pub endorsed_at: DateTime<Utc>,
    pub review_note: Option<String>,
    /// Who endorsed whom in the flag's pattern (a ring, a trade, a group), for the graph.
    pub edges: Vec<(String, String)>,
    /// Open flags of the same pattern, this one included: what a bulk review decides.
    pub group_open: Vec<i64>,
    /// For a burst: what the endorsee received per hour over the day up to the flag.
    pub hourly: Option<Vec<u32>>,
}

fn evidence_of(n: &Named) -> Result<Value> {
    serde_json::from_str(&n.row.evidence)
        .map_err(|e| Error::Internal(format!("flag {} evidence: {e}", n.row.id)))
}

/// A page of the queue, as [`super::flags::list`] would list it, with each row's pattern.
pub fn page(conn: &mut DbConn, q: &Query) -> Result<Vec<Item>> {
    let Some(filter) = filter_of(conn, q)? else {
        return Ok(Vec::new());
    };
    let rows = storage::flags::list(conn, &filter)?;
    rows.iter().map(|n| item(conn, n)).collect()
}

fn item(conn: &mut DbConn, n: &Named) -> Result<Item> {
    let flag = to_flag(n);
    let evidence = evidence_of(n)?;
    let mut out = Item {
        endorsed_at: n.endorsed_at.utc(),
        review_note: n.row.review_note.clone(),
        edges: vec![(n.endorser.clone(), n.endorsee.clone())],
        group_open: Vec::new(),
        hourly: None,
        flag,
        evidence,
    };
    if is_pattern(out.flag.reason) {
        group(conn, n, &mut out)?;
    }
    if out.flag.reason == Reason::Burst {
        let end = from_db(n.row.created_at) + Duration::minutes(1);
        let from = end - Duration::hours(BURST_HOURS as i64);
        let times: Vec<DateTime<Utc>> =
            storage::endorsements::received_times(conn, n.endorsee_id, from, end)?
                .into_iter()
                .map(|s| s.utc())
                .collect();
        out.hourly = Some(hourly(&times, end, BURST_HOURS));
    }
    Ok(out)
}

/// Fills in the flag's pattern: the other flags of its reason and topic that belong with it.
fn group(conn: &mut DbConn, n: &Named, out: &mut Item) -> Result<()> {
    let candidates = storage::flags::list(
        conn,
        &storage::flags::Filter {
            reason: Some(n.row.reason),
            topic_id: Some(n.topic_id),
            limit: MAX_GROUP,
            ..Default::default()
        },
    )?;
    let evidence = evidence_of(n)?;
    let anchor = member(n, &evidence);
    let mut edges = Vec::new();
    for c in &candidates {
        let ev = evidence_of(c)?;
        if !belongs(out.flag.reason, &anchor, &member(c, &ev)) {
            continue;
        }
        let edge = (c.endorser.clone(), c.endorsee.clone());
        if !edges.contains(&edge) {
            edges.push(edge);
        }
        if c.row.status == FlagStatus::Open {
            out.group_open.push(c.row.id);
        }
    }
    out.group_open.sort_unstable();
    out.edges = edges;
    Ok(())
}

fn member<'a>(n: &'a Named, evidence: &'a Value) -> Member<'a> {
    Member {
        flag_id: n.row.id,
        endorsement_id: n.row.endorsement_id,
        endorser: &n.endorser,
        endorsee: &n.endorsee,
        at: from_db(n.row.created_at),
        evidence,
    }
}

/// The latest reviews, newest first: who decided what, and when.
pub fn history(conn: &mut DbConn, limit: i64) -> Result<Vec<(Flag, Option<String>)>> {
    let filter = storage::flags::Filter {
        reviewed_first: true,
        limit,
        ..Default::default()
    };
    Ok(storage::flags::list(conn, &filter)?
        .iter()
        .map(|n| (to_flag(n), n.row.review_note.clone()))
        .collect())
}
