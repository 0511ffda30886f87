//! Back-filling endorsements from NDJSON: one object per line, judged at its own `created_at`.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::endorsements::{record, Record};
use super::tx::Tx;
use super::{Error, Result};
use crate::db::{write_tx, DbConn};
use crate::domain::endorsement::NewEndorsement;
use crate::domain::flag::Detection;
use crate::domain::model::Model;
use crate::domain::{time, Rejection};
use crate::storage;

/// One NDJSON line as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    endorser: String,
    endorsee: String,
    topic: String,
    #[serde(default)]
    note: Option<String>,
    created_at: String,
}

/// A line that parsed: the endorsement and when it was given.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub line_no: usize,
    pub req: NewEndorsement,
    pub created_at: DateTime<Utc>,
}

/// Why one line was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFailure {
    pub line_no: usize,
    pub code: &'static str,
    pub message: String,
}

/// Parses and validates one line; `now` bounds `created_at` (no endorsements from the future).
pub fn parse_line(
    line_no: usize,
    text: &str,
    now: DateTime<Utc>,
) -> std::result::Result<Parsed, LineFailure> {
    let fail = |code, message: String| LineFailure {
        line_no,
        code,
        message,
    };
    let line: Line = serde_json::from_str(text).map_err(|e| fail("invalid_json", e.to_string()))?;
    let req = NewEndorsement::parse(&line.endorser, &line.endorsee, &line.topic, line.note)
        .map_err(|r| fail(r.code(), r.to_string()))?;
    let created_at = time::parse(&line.created_at).ok_or_else(|| {
        let r = Rejection::InvalidTime {
            field: "created_at",
            reason: format!("{:?} is not an RFC 3339 timestamp", line.created_at),
        };
        fail(r.code(), r.to_string())
    })?;
    if created_at > now {
        return Err(fail(
            "invalid_timestamp",
            "created_at is in the future".into(),
        ));
    }
    Ok(Parsed {
        line_no,
        req,
        created_at,
    })
}

/// Records a batch in one transaction, on a model loaded for this call. Returns the lines the
/// rules refused; a database fault aborts the whole batch. For many batches, use [`Importer`].
pub fn import_batch(
    conn: &mut DbConn,
    batch: &[Parsed],
    budget: Option<u32>,
    detection: &Detection,
) -> Result<Vec<LineFailure>> {
    Importer::new(budget, *detection).batch(conn, batch)
}

/// Imports batch after batch on one model, loaded once and caught up with other writers (a
/// running server) before each batch.
pub struct Importer {
    model: Option<Model>,
    budget: Option<u32>,
    detection: Detection,
}

impl Importer {
    pub fn new(budget: Option<u32>, detection: Detection) -> Importer {
        Importer {
            model: None,
            budget,
            detection,
        }
    }

    /// Records a batch in one transaction. A line the rules refuse changes nothing (the rules
    /// are judged before anything is written), so the others go on.
    pub fn batch(&mut self, conn: &mut DbConn, batch: &[Parsed]) -> Result<Vec<LineFailure>> {
        let outcome = write_tx(conn, |conn| self.record(conn, batch));
        if outcome.is_err() {
            // The model may hold what was rolled back: load it again next time.
            self.model = None;
        }
        outcome
    }

    /// Runs `load` as one bulk load: a single transaction, with the endorsements' secondary
    /// indexes dropped first and built again at the end (one sort each instead of a random
    /// insert per line into each). All or nothing: if `load` or a rebuild fails, nothing of it
    /// stays. The write lock is held throughout, and on PostgreSQL dropping an index locks
    /// the table against readers too, so this is for a service that is stopped.
    pub fn bulk<T, E>(
        &mut self,
        conn: &mut DbConn,
        load: impl FnOnce(&mut BulkLoad<'_>) -> std::result::Result<T, E>,
        mut on_index: impl FnMut(&str, usize, usize),
    ) -> std::result::Result<T, E>
    where
        E: From<Error> + From<diesel::result::Error>,
    {
        let outcome = write_tx(conn, |conn| {
            super::model::ready(conn, &mut self.model, &self.detection)?;
            crate::db::allow_long_statements(conn)?;
            let dropped = storage::indexes::secondary(conn, "endorsements")?;
            for index in &dropped {
                storage::indexes::drop(conn, index)?;
            }
            let value = load(&mut BulkLoad {
                conn: &mut *conn,
                importer: &mut *self,
            })?;
            for (i, index) in dropped.iter().enumerate() {
                on_index(&index.name, i + 1, dropped.len());
                storage::indexes::create(conn, index)?;
            }
            Ok(value)
        });
        if outcome.is_err() {
            self.model = None;
        }
        outcome
    }

    /// Judges and writes one batch inside the caller's write transaction.
    fn record(&mut self, conn: &mut DbConn, batch: &[Parsed]) -> Result<Vec<LineFailure>> {
        let (budget, detection) = (self.budget, self.detection);
        let m = super::model::ready(conn, &mut self.model, &detection)?;
        let mut tx = Tx::new(conn, m);
        let mut failures = Vec::new();
        for p in batch {
            let rec = Record {
                req: &p.req,
                created_at: p.created_at,
                budget,
                by: None,
                detection: &detection,
                topics: Default::default(),
            };
            match record(&mut tx, &rec) {
                Ok(_) => {}
                Err(Error::Rejected(r)) => failures.push(LineFailure {
                    line_no: p.line_no,
                    code: r.code(),
                    message: r.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        tx.flush()?;
        Ok(failures)
    }
}

/// A bulk load under way (see [`Importer::bulk`]): batches go into its one transaction.
pub struct BulkLoad<'a> {
    conn: &'a mut DbConn,
    importer: &'a mut Importer,
}

impl BulkLoad<'_> {
    /// Judges and writes one batch; returns the lines the rules refused, as [`Importer::batch`].
    pub fn batch(&mut self, batch: &[Parsed]) -> Result<Vec<LineFailure>> {
        self.importer.record(self.conn, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_good_lines_and_names_what_is_wrong() {
        let now = time::now();
        let ok =
            r#"{"endorser":"A","endorsee":"b","topic":"t","created_at":"2020-01-01T00:00:00Z"}"#;
        assert_eq!(parse_line(1, ok, now).unwrap().req.endorser.as_str(), "a");
        let cases = [
            ("not json", "invalid_json"),
            (
                r#"{"endorser":"a","endorsee":"b","topic":"t","created_at":"2020-01-01T00:00:00Z","x":1}"#,
                "invalid_json",
            ),
            (
                r#"{"endorser":"a b","endorsee":"b","topic":"t","created_at":"2020-01-01T00:00:00Z"}"#,
                "invalid_handle",
            ),
            (
                r#"{"endorser":"a","endorsee":"b","topic":"t","created_at":"yesterday"}"#,
                "invalid_timestamp",
            ),
            (
                r#"{"endorser":"a","endorsee":"b","topic":"t","created_at":"2999-01-01T00:00:00Z"}"#,
                "invalid_timestamp",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(parse_line(7, text, now).unwrap_err().code, code, "{text}");
        }
    }
}
