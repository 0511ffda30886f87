-- Going back would need each flag.raised payload written out again byte for byte, which SQL
-- cannot do (JSON numbers in canonical form), so it is refused while any flag keeps its entry:
-- the failed CHECK names the count that must be zero.
CREATE TEMP TABLE migration_21_down (flags_keeping_their_entry INTEGER
    CHECK (flags_keeping_their_entry = 0));
INSERT INTO migration_21_down SELECT COUNT(*) FROM flags WHERE entry_hash IS NOT NULL;
DROP TABLE migration_21_down;

CREATE TABLE flags_old (
    id BIGINT PRIMARY KEY NOT NULL,
    endorsement_id BIGINT NOT NULL REFERENCES endorsements (id),
    reason TEXT NOT NULL,
    score DOUBLE NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP,
    review_note TEXT,
    reviewed_by INTEGER REFERENCES api_keys (id)
);
INSERT INTO flags_old
    SELECT id, endorsement_id, reason, score, evidence, status, created_at,
           reviewed_at, review_note, reviewed_by
    FROM flags ORDER BY id;
DROP TABLE flags;
ALTER TABLE flags_old RENAME TO flags;
CREATE INDEX flags_status_score ON flags (status, score, id);
CREATE INDEX flags_endorsement ON flags (endorsement_id);
