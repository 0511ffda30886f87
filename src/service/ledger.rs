//! Appending to the ledger, reading it, and verifying it against the endorsement table.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Result;
use crate::db::{snapshot_tx, DbConn};
use crate::domain::ledger::{compare_row, next_entry, Entry, Replay};
use crate::storage;

/// Appends an entry after the current head; `payload` is given the entry's seq. Call inside a
/// write transaction: the write lock is what keeps two writers from reading the same head.
pub fn append<T: Serialize>(
    conn: &mut DbConn,
    kind: &str,
    at: DateTime<Utc>,
    payload: impl FnOnce(i64) -> T,
) -> Result<(Entry, T)> {
    let head = storage::ledger::head(conn)?;
    let prev = head.as_ref().map(|(s, h)| (*s, h.as_str()));
    let payload = payload(prev.map_or(1, |(s, _)| s + 1));
    let entry = next_entry(prev, kind, at, &payload);
    storage::ledger::insert(conn, &entry)?;
    Ok((entry, payload))
}

/// Entries after `after`, at most `limit`.
pub fn page(conn: &mut DbConn, after: i64, limit: i64) -> Result<Vec<Entry>> {
    Ok(storage::ledger::page(conn, after, limit)?)
}

/// The outcome of `ledger verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Verdict {
    Ok {
        /// Always true.
        ok: bool,
        /// Number of entries checked.
        entries: i64,
        /// Hash of the last entry (64 zeros for an empty ledger).
        head: String,
    },
    Broken {
        /// Always false.
        ok: bool,
        /// The first ledger entry found wrong, or the entry behind the first wrong endorsement row.
        first_bad_seq: i64,
        reason: String,
    },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok { .. })
    }

    fn broken(first_bad_seq: i64, reason: String) -> Verdict {
        Verdict::Broken {
            ok: false,
            first_bad_seq,
            reason,
        }
    }
}

const VERIFY_PAGE: i64 = 1000;

/// Recomputes the whole chain, then checks every endorsement row against the replayed ledger,
/// all on one snapshot so concurrent writes cannot cause a false alarm.
pub fn verify(conn: &mut DbConn) -> Result<Verdict> {
    snapshot_tx(conn, |conn| {
        let mut replay = Replay::default();
        loop {
            let entries = storage::ledger::page(conn, replay.entries(), VERIFY_PAGE)?;
            if entries.is_empty() {
                break;
            }
            for e in &entries {
                if let Err(b) = replay.push(e) {
                    return Ok(Verdict::broken(b.seq, b.reason));
                }
            }
        }
        if let Some(v) = check_rows(conn, &mut replay)? {
            return Ok(v);
        }
        Ok(Verdict::Ok {
            ok: true,
            entries: replay.entries(),
            head: replay.head().to_string(),
        })
    })
}

/// Walks the endorsement table by id; `None` when every row matches the ledger.
fn check_rows(conn: &mut DbConn, replay: &mut Replay) -> Result<Option<Verdict>> {
    let mut filter = storage::endorsements::Filter {
        after_id: Some(0),
        limit: VERIFY_PAGE,
        ..Default::default()
    };
    let mut seen = 0i64;
    loop {
        let rows = storage::endorsements::select(conn, &filter)?;
        let Some(last) = rows.last() else { break };
        filter.after_id = Some(last.id());
        for view in &rows {
            seen += 1;
            let row = view.to_state();
            let Some(expected) = replay.expected.remove(&row.id) else {
                let reason = format!("endorsement {} has no ledger entry", row.id);
                return Ok(Some(Verdict::broken(row.ledger_seq.max(1), reason)));
            };
            if let Err(reason) = compare_row(&expected, &row) {
                return Ok(Some(Verdict::broken(expected.ledger_seq, reason)));
            }
        }
    }
    if let Some((id, missing)) = replay.expected.iter().next() {
        let reason = format!("endorsement {id} is in the ledger but not in the table");
        return Ok(Some(Verdict::broken(missing.ledger_seq, reason)));
    }
    let total = storage::endorsements::count_all(conn)?;
    if total != seen {
        let reason = format!(
            "{} endorsement rows refer to unknown users or topics",
            total - seen
        );
        return Ok(Some(Verdict::broken(replay.entries().max(1), reason)));
    }
    Ok(None)
}
