-- Every endorsement.created entry back in the ledger table, and ledger_seq back on its row.
PRAGMA foreign_keys = OFF;
BEGIN;

INSERT INTO ledger (seq, kind, at, payload, hash)
    SELECT id, 'endorsement.created', COALESCE(entry_at, created_at), NULL, entry_hash
    FROM endorsements WHERE entry_hash IS NOT NULL ORDER BY id;

CREATE TABLE endorsements_old (
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
    created_by INTEGER REFERENCES api_keys (id),
    origin_topic_id INTEGER REFERENCES topics (id)
);
INSERT INTO endorsements_old
    SELECT id, endorser_id, endorsee_id, topic_id, note, status, created_at, revoked_at, id,
           created_by, origin_topic_id
    FROM endorsements ORDER BY id;
DROP TABLE endorsements;
ALTER TABLE endorsements_old RENAME TO endorsements;

CREATE INDEX endorsements_endorser_time ON endorsements (endorser_id, created_at);
CREATE INDEX endorsements_endorsee_time ON endorsements (endorsee_id, created_at);
CREATE INDEX endorsements_topic_time ON endorsements (topic_id, created_at);
CREATE INDEX endorsements_time_id ON endorsements (created_at, id);
CREATE UNIQUE INDEX endorsements_one_live ON endorsements (endorser_id, endorsee_id, topic_id)
    WHERE status <> 'revoked';

CREATE TEMP TABLE fk_violations (n INTEGER CHECK (n = 0));
INSERT INTO fk_violations SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE fk_violations;

COMMIT;
PRAGMA foreign_keys = ON;
