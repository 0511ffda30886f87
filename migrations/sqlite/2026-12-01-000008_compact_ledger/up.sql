-- A smaller ledger (issue 11: every byte is written to the WAL and fsynced).
-- * hash: 32 bytes instead of 64 hex characters.
-- * prev_hash: gone; it is the previous entry's hash, and readers take it from there.
-- * payload: NULL for endorsement.created; readers rebuild it from the endorsement row, whose
--   id is the entry's seq. The hash still covers it, so editing the row, or a handle or slug it
--   names, breaks the chain at that entry exactly as editing a stored payload did.
-- * ledger.seq and endorsements.id become INTEGER PRIMARY KEY, SQLite's row id, so neither
--   table keeps a separate primary-key index.
-- * ledger.at, endorsements.created_at and revoked_at hold microseconds since the Unix epoch as
--   an INTEGER (plusk's `Instant` type) instead of 26 characters of text, in the row and in each
--   of the four time indexes.
-- SQLite rebuilds a table to change it; with foreign keys enforced, dropping a referenced table
-- fails, so they are off for the rebuild and checked before the commit.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE ledger_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- Microseconds since the Unix epoch.
    at INTEGER NOT NULL,
    -- Canonical JSON; NULL where the payload is rebuilt from a row (endorsement.created).
    payload TEXT,
    -- SHA-256, 32 bytes.
    hash BLOB NOT NULL
);
INSERT INTO ledger_new (seq, kind, at, payload, hash)
    SELECT seq, kind, (unixepoch(substr(at, 1, 19)) * 1000000 + CAST(substr(substr(at, 21) || '000000', 1, 6) AS INTEGER)),
           CASE WHEN kind = 'endorsement.created' THEN NULL ELSE payload END,
           unhex(hash)
    FROM ledger ORDER BY seq;
DROP TABLE ledger;
ALTER TABLE ledger_new RENAME TO ledger;

CREATE TABLE endorsements_new (
    id INTEGER PRIMARY KEY NOT NULL,
    endorser_id INTEGER NOT NULL REFERENCES users (id),
    endorsee_id INTEGER NOT NULL REFERENCES users (id),
    topic_id INTEGER NOT NULL REFERENCES topics (id),
    note TEXT,
    status TEXT NOT NULL,
    -- Microseconds since the Unix epoch.
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    ledger_seq BIGINT NOT NULL REFERENCES ledger (seq),
    created_by INTEGER REFERENCES api_keys (id)
);
INSERT INTO endorsements_new
    SELECT id, endorser_id, endorsee_id, topic_id, note, status,
           (unixepoch(substr(created_at, 1, 19)) * 1000000 + CAST(substr(substr(created_at, 21) || '000000', 1, 6) AS INTEGER)),
           CASE WHEN revoked_at IS NULL THEN NULL ELSE (unixepoch(substr(revoked_at, 1, 19)) * 1000000 + CAST(substr(substr(revoked_at, 21) || '000000', 1, 6) AS INTEGER)) END,
           ledger_seq, created_by
    FROM endorsements ORDER BY id;
DROP TABLE endorsements;
ALTER TABLE endorsements_new RENAME TO endorsements;

-- Listings by endorser (GET /v1/endorsements?endorser=) and a user's given count.
CREATE INDEX endorsements_endorser_time ON endorsements (endorser_id, created_at);
-- Listings by endorsee, a user's received count, a late-reported ask's candidates.
CREATE INDEX endorsements_endorsee_time ON endorsements (endorsee_id, created_at);
-- Listings by topic and the reputation graph's per-topic reads.
CREATE INDEX endorsements_topic_time ON endorsements (topic_id, created_at);
-- Newest-first listing with a (created_at, id) cursor.
CREATE INDEX endorsements_time_id ON endorsements (created_at, id);
-- One live endorsement per triple, enforced by the database as a second line of defence.
CREATE UNIQUE INDEX endorsements_one_live ON endorsements (endorser_id, endorsee_id, topic_id)
    WHERE status <> 'revoked';

-- Nothing may point nowhere after the rebuild: a violation fails this CHECK and the migration.
CREATE TEMP TABLE fk_violations (n INTEGER CHECK (n = 0));
INSERT INTO fk_violations SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE fk_violations;

COMMIT;
PRAGMA foreign_keys = ON;
