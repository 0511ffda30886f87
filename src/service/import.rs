//! Back-filling endorsements from NDJSON: one object per line, judged at its own `created_at`.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::endorsements::{record, Record};
use super::solicitations;
use super::tx::{piped, Pipe, Tx};
use super::{Error, Result};
use crate::db::{write_tx, DbConn};
use crate::domain::endorsement::NewEndorsement;
use crate::domain::flag::Detection;
use crate::domain::ledger::GENESIS_HASH;
use crate::domain::model::Model;
use crate::domain::solicitation::request::NewSolicitation;
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

/// A reported ask, as a history brings it along: `{"solicitation": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AskLine {
    solicitation: AskFields,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AskFields {
    requester: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    topic: Option<String>,
    text: String,
    #[serde(default)]
    channel: Option<String>,
    observed_at: String,
}

/// What a line holds.
#[derive(Debug, Clone)]
pub enum Item {
    Endorsement(NewEndorsement),
    /// A begging ask reported at the time, judged as `POST /v1/solicitations` would have: the
    /// endorsements after it may be held as prompted by it.
    Ask(NewSolicitation),
}

/// A line that parsed: what it holds and when it happened (given, or observed).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub line_no: usize,
    pub item: Item,
    pub created_at: DateTime<Utc>,
}

/// Why one line was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFailure {
    pub line_no: usize,
    pub code: &'static str,
    pub message: String,
}

/// Whether a line is an ask: its first key is `solicitation` (a cheap look, so endorsement
/// lines, nearly all of a history, are parsed once).
fn is_ask(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"solicitation\""))
}

/// Parses and validates one line; `now` bounds its time (nothing from the future).
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
    let rejected = |r: Rejection| fail(r.code(), r.to_string());
    let (item, field, at) = if is_ask(text) {
        let line: AskLine =
            serde_json::from_str(text).map_err(|e| fail("invalid_json", e.to_string()))?;
        let a = line.solicitation;
        let at = time::parse_field("observed_at", &a.observed_at).map_err(rejected)?;
        let req = NewSolicitation::parse(
            &a.requester,
            a.target.as_deref(),
            a.topic.as_deref(),
            a.text,
            a.channel,
            Some(at),
            now,
        )
        .map_err(rejected)?;
        (Item::Ask(req), "observed_at", at)
    } else {
        let line: Line =
            serde_json::from_str(text).map_err(|e| fail("invalid_json", e.to_string()))?;
        let req = NewEndorsement::parse(&line.endorser, &line.endorsee, &line.topic, line.note)
            .map_err(rejected)?;
        let at = time::parse_field("created_at", &line.created_at).map_err(rejected)?;
        (Item::Endorsement(req), "created_at", at)
    };
    if at > now {
        return Err(fail(
            "invalid_timestamp",
            format!("{field} is in the future"),
        ));
    }
    Ok(Parsed {
        line_no,
        item,
        created_at: at,
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
        load: impl FnOnce(&mut BulkLoad<'_, '_>) -> std::result::Result<T, E>,
        mut on_index: impl FnMut(&str, usize, usize),
    ) -> std::result::Result<T, E>
    where
        E: From<Error> + From<diesel::result::Error>,
    {
        let settings = crate::db::bulk::for_bulk_load(conn)?;
        let outcome: std::result::Result<T, E> = write_tx(conn, |conn| {
            super::model::ready(conn, &mut self.model, &self.detection)?;
            crate::db::allow_long_statements(conn)?;
            let dropped = storage::indexes::secondary(conn, "endorsements")?;
            for index in &dropped {
                storage::indexes::drop(conn, index)?;
            }
            let head = self
                .model
                .as_ref()
                .and_then(|m| m.head())
                .map_or_else(|| GENESIS_HASH.to_string(), |h| h.hash.clone());
            let value = piped(conn, head, |pipe| {
                load(&mut BulkLoad {
                    pipe,
                    importer: &mut *self,
                })
            })?;
            storage::indexes::create_all(conn, &dropped, |index, i| {
                on_index(&index.name, i, dropped.len())
            })?;
            Ok(value)
        });
        // The model's head carries no hash after a load whose entries its writing thread
        // chained (see `Tx::piped`): load it again if it is needed.
        self.model = None;
        let restored = settings.map_or(Ok(()), |s| s.put_back(conn));
        // A failed load says more than a failure to put the settings back.
        let value = outcome?;
        restored?;
        Ok(value)
    }

    /// Judges and writes one batch inside the caller's write transaction.
    fn record(&mut self, conn: &mut DbConn, batch: &[Parsed]) -> Result<Vec<LineFailure>> {
        let m = super::model::ready(conn, &mut self.model, &self.detection)?;
        let mut tx = Tx::new(conn, m);
        let failures = judge(&mut tx, batch, self.budget, &self.detection)?;
        tx.flush()?;
        Ok(failures)
    }

    /// Judges one batch of a bulk load and hands its rows to the pipe, whose thread writes them
    /// while the next batch is judged. The model was made ready when the load began, and the
    /// load holds the write lock: there is nothing to catch up with.
    fn record_piped(&mut self, pipe: &mut Pipe<'_>, batch: &[Parsed]) -> Result<Vec<LineFailure>> {
        let (budget, detection) = (self.budget, self.detection);
        let m = self
            .model
            .as_mut()
            .ok_or_else(|| Error::Internal("the bulk load has no model".into()))?;
        let mut tx = Tx::piped(pipe, m);
        let failures = judge(&mut tx, batch, budget, &detection)?;
        tx.flush()?;
        Ok(failures)
    }
}

/// Runs the rules and detectors on each line of a batch, leaving its rows pending in `tx`. A
/// line the rules refuse changes nothing (the rules are judged before anything is written), so
/// the others go on.
fn judge(
    tx: &mut Tx<'_>,
    batch: &[Parsed],
    budget: Option<u32>,
    detection: &Detection,
) -> Result<Vec<LineFailure>> {
    let mut failures = Vec::new();
    for p in batch {
        let outcome = match &p.item {
            Item::Endorsement(req) => record(
                tx,
                &Record {
                    req,
                    created_at: p.created_at,
                    logged_at: time::now(),
                    budget,
                    by: None,
                    detection,
                    topics: Default::default(),
                },
            )
            .map(drop),
            Item::Ask(req) => {
                solicitations::record(tx, req, None, detection, Default::default()).map(drop)
            }
        };
        match outcome {
            Ok(()) => {}
            Err(Error::Rejected(r)) => failures.push(LineFailure {
                line_no: p.line_no,
                code: r.code(),
                message: r.to_string(),
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(failures)
}

/// A bulk load under way (see [`Importer::bulk`]): batches go into its one transaction.
pub struct BulkLoad<'a, 'c> {
    pipe: &'a mut Pipe<'c>,
    importer: &'a mut Importer,
}

impl BulkLoad<'_, '_> {
    /// Judges one batch and sends its rows to be written; returns the lines the rules refused,
    /// as [`Importer::batch`]. A failure to write them surfaces at a later call or at the end.
    pub fn batch(&mut self, batch: &[Parsed]) -> Result<Vec<LineFailure>> {
        self.importer.record_piped(self.pipe, batch)
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
        match parse_line(1, ok, now).unwrap().item {
            Item::Endorsement(req) => assert_eq!(req.endorser.as_str(), "a"),
            other => panic!("{other:?}"),
        }
        let ask = r#"{ "solicitation": {"requester":"Gina","text":"please +K me","observed_at":"2020-01-01T00:00:00Z"}}"#;
        match parse_line(2, ask, now).unwrap().item {
            Item::Ask(req) => assert_eq!((req.requester.as_str(), req.target), ("gina", None)),
            other => panic!("{other:?}"),
        }
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
            (
                r#"{"solicitation":{"requester":"a","text":"hi","observed_at":"2999-01-01T00:00:00Z"}}"#,
                "invalid_timestamp",
            ),
            (
                r#"{"solicitation":{"requester":"a","text":"  ","observed_at":"2020-01-01T00:00:00Z"}}"#,
                "invalid_text",
            ),
            (
                r#"{"solicitation":{"requester":"a","observed_at":"2020-01-01T00:00:00Z"}}"#,
                "invalid_json",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(parse_line(7, text, now).unwrap_err().code, code, "{text}");
        }
    }
}
