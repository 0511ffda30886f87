-- Bytes on disk (issue 11): the endorsements table rebuilt without what no query needs.
-- * endorsements_one_live is gone. One live endorsement per triple is the writer's rule,
--   decided on its in-memory model under the write lock, after catching up with what other
--   instances wrote; no query reads the index, and it cost every write an entry (40 bytes an
--   endorsement).
-- * The columns are laid out widest first (8-byte times before 4-byte ids, variable-length
--   last), so no padding sits between them; the dropped ledger_seq leaves the null bitmap.
--   About 9 bytes a row.
ALTER TABLE endorsements RENAME TO endorsements_old;
ALTER INDEX endorsements_pkey RENAME TO endorsements_old_pkey;
DROP INDEX endorsements_one_live;
DROP INDEX endorsements_endorser_time;
DROP INDEX endorsements_endorsee_time;
DROP INDEX endorsements_topic_time;
DROP INDEX endorsements_time_id;
ALTER TABLE flags DROP CONSTRAINT flags_endorsement_id_fkey;

CREATE TABLE endorsements (
    id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The created entry's time when it is not created_at (imports).
    entry_at TIMESTAMP,
    revoked_at TIMESTAMP,
    endorser_id INTEGER NOT NULL,
    endorsee_id INTEGER NOT NULL,
    topic_id INTEGER NOT NULL,
    created_by INTEGER,
    origin_topic_id INTEGER,
    status TEXT NOT NULL,
    -- The created entry's SHA-256.
    entry_hash BYTEA,
    note TEXT
);
INSERT INTO endorsements (id, created_at, entry_at, revoked_at, endorser_id, endorsee_id,
                          topic_id, created_by, origin_topic_id, status, entry_hash, note)
    SELECT id, created_at, entry_at, revoked_at, endorser_id, endorsee_id,
           topic_id, created_by, origin_topic_id, status, entry_hash, note
    FROM endorsements_old ORDER BY id;
DROP TABLE endorsements_old;

ALTER TABLE endorsements ADD CONSTRAINT endorsements_pkey PRIMARY KEY (id);
ALTER TABLE endorsements ADD CONSTRAINT endorsements_endorser_id_fkey
    FOREIGN KEY (endorser_id) REFERENCES users (id);
ALTER TABLE endorsements ADD CONSTRAINT endorsements_endorsee_id_fkey
    FOREIGN KEY (endorsee_id) REFERENCES users (id);
ALTER TABLE endorsements ADD CONSTRAINT endorsements_topic_id_fkey
    FOREIGN KEY (topic_id) REFERENCES topics (id);
ALTER TABLE endorsements ADD CONSTRAINT endorsements_created_by_fkey
    FOREIGN KEY (created_by) REFERENCES api_keys (id);
ALTER TABLE endorsements ADD CONSTRAINT endorsements_origin_topic_id_fkey
    FOREIGN KEY (origin_topic_id) REFERENCES topics (id);
ALTER TABLE flags ADD CONSTRAINT flags_endorsement_id_fkey
    FOREIGN KEY (endorsement_id) REFERENCES endorsements (id);

-- Listings by endorser (GET /v1/endorsements?endorser=) and a user's given count.
CREATE INDEX endorsements_endorser_time ON endorsements (endorser_id, created_at);
-- Listings by endorsee, a user's received count, a late-reported ask's candidates.
CREATE INDEX endorsements_endorsee_time ON endorsements (endorsee_id, created_at);
-- Listings by topic and the reputation graph's per-topic reads.
CREATE INDEX endorsements_topic_time ON endorsements (topic_id, created_at);
-- Newest-first listing with a (created_at, id) cursor, and the rows created since a time.
CREATE INDEX endorsements_time_id ON endorsements (created_at, id);
