-- A flag.raised entry kept on the flag it raised (issue 11: a crowd's endorsements are held,
-- and each held one wrote a ledger row, an index entry and a 280-byte payload that repeats the
-- flag row), as migration 18 did for endorsement.created entries. The flag row holds all of
-- the payload but one member:
-- * entry_hash: the entry's SHA-256, 32 bytes (NULL: the entry is a row of the ledger table,
--   as for every flag raised before this migration; they stay there, where readers find them).
-- * entry_status: the endorsement's status once the flag was raised (the payload's
--   endorsement_status; a review may change it since).
-- The entry's seq is the flag's id and its time the flag's created_at, as they always were.
-- The table is rebuilt so that id is the row id (INTEGER PRIMARY KEY) rather than a second
-- B-tree beside the table. Nothing references flags, so foreign keys may stay on.
CREATE TABLE flags_new (
    id INTEGER PRIMARY KEY NOT NULL,
    endorsement_id BIGINT NOT NULL REFERENCES endorsements (id),
    reason TEXT NOT NULL,
    score DOUBLE NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP,
    review_note TEXT,
    reviewed_by INTEGER REFERENCES api_keys (id),
    entry_hash BLOB,
    entry_status TEXT
);
INSERT INTO flags_new (id, endorsement_id, reason, score, evidence, status, created_at,
                       reviewed_at, review_note, reviewed_by)
    SELECT id, endorsement_id, reason, score, evidence, status, created_at,
           reviewed_at, review_note, reviewed_by
    FROM flags ORDER BY id;
DROP TABLE flags;
ALTER TABLE flags_new RENAME TO flags;

-- The moderation queue: open flags, highest score first (GET /v1/flags).
CREATE INDEX flags_status_score ON flags (status, score, id);
-- An endorsement's flags (a review, a group finding's "flagged once per reason", the console).
CREATE INDEX flags_endorsement ON flags (endorsement_id);
