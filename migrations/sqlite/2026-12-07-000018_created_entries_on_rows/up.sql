-- An endorsement.created entry kept on the endorsement row it created (issue 11: bytes on
-- disk), instead of a ledger row of its own: most of the chain is made of these entries, and
-- each cost a second row and a second B-tree insert for what the endorsement row already says.
-- * entry_hash: the entry's SHA-256, 32 bytes (NULL: no entry created this row, which
--   `ledger verify` reports, as it reported a row without a ledger entry).
-- * entry_at: the entry's time in microseconds, NULL when it is the endorsement's created_at
--   (API writes, where both are one reading of the clock); an import records the original
--   time as created_at and the time of the import here.
-- * ledger_seq: gone; it was always the row's id.
-- The ledger is read as the union of the ledger table (every other kind) and these rows, by
-- seq; entries and hashes are unchanged byte for byte. A created entry whose row no longer
-- matches it (an id that is not its seq) stays in the ledger table, where readers still find it.
-- SQLite rebuilds a table to drop a column that has a foreign key; see metadata.toml.
PRAGMA foreign_keys = OFF;
BEGIN;

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
    created_by INTEGER REFERENCES api_keys (id),
    origin_topic_id INTEGER REFERENCES topics (id),
    entry_hash BLOB,
    entry_at INTEGER
);
INSERT INTO endorsements_new
    SELECT e.id, e.endorser_id, e.endorsee_id, e.topic_id, e.note, e.status, e.created_at,
           e.revoked_at, e.created_by, e.origin_topic_id, l.hash,
           CASE WHEN l.at = e.created_at THEN NULL ELSE l.at END
    FROM endorsements e
    LEFT JOIN ledger l ON l.seq = e.id AND e.ledger_seq = e.id AND l.kind = 'endorsement.created'
    ORDER BY e.id;
DELETE FROM ledger
    WHERE kind = 'endorsement.created'
      AND seq IN (SELECT id FROM endorsements_new WHERE entry_hash IS NOT NULL);
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
