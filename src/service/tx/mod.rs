//! A write transaction with the writer's model: what every write use case runs in.
//!
//! The rules and detectors read the [`Model`], never the database. New rows (users, topics,
//! ledger entries, endorsements, flags, idempotency records) wait in memory and are written
//! together by [`Tx::flush`], a few multi-row statements per batch instead of one statement per
//! row. A use case that must read or write other rows directly asks for [`Tx::conn`], which
//! flushes first, so SQL always sees every earlier write of the batch. (Who opens and commits the
//! transaction around it: see the `service` module.) A bulk load hands its rows to a [`Pipe`]
//! instead, which writes them on a thread of its own while the next batch is judged.

use chrono::{DateTime, Utc};

use super::{Error, Result};
use crate::db::{write_tx, DbConn};
use crate::domain::ledger::{self, next_entry, Entry, Payload};
use crate::domain::model::Model;
use crate::domain::topic::TopicSlug;
use crate::storage;
use crate::storage::idempotency;

mod pipe;
pub use pipe::{piped, Pipe};

/// Rows waiting to be written, in the order foreign keys need.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    users: Vec<storage::users::New>,
    topics: Vec<storage::topics::New>,
    ledger: Vec<Entry>,
    endorsements: Vec<storage::endorsements::NewRow>,
    flags: Vec<storage::flags::New>,
    idempotency: Vec<idempotency::New>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.topics.is_empty()
            && self.ledger.is_empty()
            && self.endorsements.is_empty()
            && self.flags.is_empty()
            && self.idempotency.is_empty()
    }

    /// Chains the entries appended unsealed (see [`Tx::piped`]) after `head`, the hash of the
    /// entry before the first, and gives their rows the hashes; leaves `head` at the last.
    fn seal(&mut self, head: &mut String) -> Result<()> {
        for e in &mut self.ledger {
            if e.hash.is_empty() {
                ledger::seal(e, head);
            }
            head.clone_from(&e.hash);
        }
        // A row and the entry that records it are pushed one after the other, with no flush
        // between, so both are in this batch; entries are in seq order, and a row's id is its
        // entry's seq.
        let entries = &self.ledger;
        let hash_of = |id: i64| {
            entries
                .binary_search_by_key(&id, |e| e.seq)
                .map(|i| entries[i].hash.clone())
                .map_err(|_| Error::Internal(format!("no ledger entry for row {id}")))
        };
        for r in self
            .endorsements
            .iter_mut()
            .filter(|r| r.entry_hash.is_empty())
        {
            r.entry_hash = hash_of(r.id)?;
        }
        for f in self.flags.iter_mut().filter(|f| f.entry_hash.is_empty()) {
            f.entry_hash = hash_of(f.row.id)?;
        }
        Ok(())
    }

    /// Writes every row, a few multi-row statements in all.
    fn write(self, c: &mut DbConn) -> Result<()> {
        storage::users::insert_many(c, &self.users)?;
        storage::topics::insert_many(c, &self.topics)?;
        storage::ledger::insert_many(c, &self.ledger)?;
        storage::endorsements::insert_many(c, &self.endorsements)?;
        storage::flags::insert_many(c, &self.flags)?;
        idempotency::insert_many(c, &self.idempotency)?;
        Ok(())
    }
}

/// Where a [`Tx`] writes: straight to its connection, or through a [`Pipe`].
enum Link<'a> {
    Direct(&'a mut DbConn),
    Piped(&'a mut (dyn pipe::Lend + 'a)),
}

impl Link<'_> {
    /// The connection as it is, with nothing pending written (a pipe's back from its thread).
    fn conn(&mut self) -> Result<&mut DbConn> {
        match self {
            Link::Direct(c) => Ok(c),
            Link::Piped(p) => p.conn(),
        }
    }
}

/// See the module documentation.
pub struct Tx<'a> {
    link: Link<'a>,
    model: &'a mut Model,
    pending: Pending,
    /// Something wrote rows the model did not see; it must be loaded again after the commit.
    stale: bool,
    /// Entries are appended unsealed, and rows wait for their entries' hashes (see
    /// [`Tx::piped`]).
    unsealed: bool,
}

impl<'a> Tx<'a> {
    /// Call inside a write transaction, after the model has caught up with the ledger.
    pub fn new(conn: &'a mut DbConn, model: &'a mut Model) -> Tx<'a> {
        Tx::over(Link::Direct(conn), model)
    }

    /// A transaction whose rows go through `pipe`, whose thread writes them (see [`Tx::flush`]).
    /// Its model needs no catching up: the bulk load around it holds the write lock
    /// throughout.
    ///
    /// Its entries are appended unsealed, and the pipe's thread chains them before it writes
    /// them: on a 10M-line bulk load this took a tenth of the samples off the judging thread,
    /// the busier of the two. Until the load ends, the model's head and [`Tx::head_hash`]
    /// carry no hash.
    pub fn piped(pipe: &'a mut Pipe<'_>, model: &'a mut Model) -> Tx<'a> {
        let mut tx = Tx::over(Link::Piped(pipe), model);
        tx.unsealed = true;
        tx
    }

    fn over(link: Link<'a>, model: &'a mut Model) -> Tx<'a> {
        Tx {
            link,
            model,
            pending: Pending::default(),
            stale: false,
            unsealed: false,
        }
    }

    /// Says that rows are about to be written behind the model's back.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    pub fn model_mut(&mut self) -> &mut Model {
        self.model
    }

    /// The connection, with every pending row written first.
    pub fn conn(&mut self) -> Result<&mut DbConn> {
        self.flush()?;
        self.link.conn()
    }

    /// The id of a user, added (first seen at `at`) if new.
    pub fn user_id(&mut self, handle: &str, at: DateTime<Utc>) -> i32 {
        let (id, new) = self.model.users.id_or_assign(handle);
        if new {
            self.pending.users.push(storage::users::New {
                id,
                handle: handle.to_string(),
                created_at: at,
            });
        }
        id
    }

    /// The topic a write naming `slug` goes to: `slug` itself, or the topic it was merged into.
    pub fn topic(&self, slug: &TopicSlug) -> TopicSlug {
        self.model
            .merged_into(slug.as_str())
            .and_then(|into| TopicSlug::parse(into).ok())
            .unwrap_or_else(|| slug.clone())
    }

    /// The id of a topic, added (first used at `at`, by the key `by`) if new.
    pub fn topic_id(&mut self, slug: &str, at: DateTime<Utc>, by: Option<i32>) -> i32 {
        let (id, new) = self.model.topics.id_or_assign(slug);
        if new {
            self.pending.topics.push(storage::topics::New {
                id,
                slug: slug.to_string(),
                created_at: at,
                created_by: by,
            });
        }
        id
    }

    /// Appends a ledger entry after the head; `payload` is given the entry's seq.
    pub fn append<T: Payload>(
        &mut self,
        at: DateTime<Utc>,
        payload: impl FnOnce(i64) -> T,
    ) -> (i64, T) {
        let prev = self.model.head().map(|h| (h.seq, h.hash.clone()));
        let seq = prev.as_ref().map_or(1, |(s, _)| s + 1);
        let payload = payload(seq);
        let entry = match self.unsealed {
            true => ledger::unsealed_entry(seq, at, &payload),
            false => next_entry(prev.as_ref().map(|(s, h)| (*s, h.as_str())), at, &payload),
        };
        let seq = entry.seq;
        self.model.set_head(seq, entry.hash.clone());
        self.pending.ledger.push(entry);
        (seq, payload)
    }

    /// The hash of the last entry appended (empty before the first).
    pub fn head_hash(&self) -> String {
        self.model
            .head()
            .map(|h| h.hash.clone())
            .unwrap_or_default()
    }

    pub fn insert_endorsement(&mut self, row: storage::endorsements::NewRow) {
        self.pending.endorsements.push(row);
    }

    pub fn insert_flag(&mut self, new: storage::flags::New) {
        self.pending.flags.push(new);
    }

    /// The response remembered for an Idempotency-Key, in this batch or before it.
    pub fn idempotency(&mut self, key_id: i32, key: &str) -> Result<Option<idempotency::Record>> {
        let mut pending = self.pending.idempotency.iter().rev();
        if let Some(n) = pending.find(|n| n.api_key_id == key_id && n.key == key) {
            return Ok(Some(n.record.clone()));
        }
        Ok(idempotency::find(self.link.conn()?, key_id, key)?)
    }

    pub fn insert_idempotency(&mut self, new: idempotency::New) {
        self.pending.idempotency.push(new);
    }

    /// Writes every pending row, a few multi-row statements in all; through a pipe, hands
    /// them to its thread and returns at once (a failure to write them surfaces at the pipe's
    /// next use, and [`Tx::conn`] waits until they are written).
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        match &mut self.link {
            Link::Direct(c) => rows.write(c),
            Link::Piped(p) => p.send(rows),
        }
    }
}

/// Runs `f` in its own write transaction, for the CLI with no server's writer to use, when `f`
/// appends ledger entries but reads nothing else of the model: only the head is loaded. (A
/// running server's writer catches up with these entries before its next batch.)
pub fn outside<T>(conn: &mut DbConn, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
    write_tx(conn, |conn| {
        let mut model = Model::new(chrono::Duration::zero());
        if let Some((seq, hash)) = storage::ledger::head(conn)? {
            model.set_head(seq, hash);
        }
        let mut tx = Tx::new(conn, &mut model);
        let out = f(&mut tx)?;
        tx.flush()?;
        Ok(out)
    })
}
