-- Back to hex hashes, a stored prev_hash and a stored payload for every entry. The payload of
-- endorsement.created is rebuilt from its row as RFC 8785 JSON: keys in order, strings quoted by
-- json_quote (plusk's handles, slugs and key names are plain ASCII; a note with characters JSON
-- escapes differently under RFC 8785 would not round-trip, and `ledger verify` would say so).
PRAGMA foreign_keys = OFF;
BEGIN;

-- Times back to diesel's text form, 'YYYY-MM-DD HH:MM:SS.ffffff', from integer microseconds
-- (floored, so times before 1970 come back right too).
CREATE TEMP VIEW endorsement_times AS
    SELECT id,
           strftime('%Y-%m-%d %H:%M:%S', ((created_at) - (((created_at) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || printf('.%06d', (((created_at) % 1000000) + 1000000) % 1000000) AS created_text,
           CASE WHEN revoked_at IS NULL THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%S', ((revoked_at) - (((revoked_at) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || printf('.%06d', (((revoked_at) % 1000000) + 1000000) % 1000000) END AS revoked_text,
           strftime('%Y-%m-%dT%H:%M:%S', ((created_at) - (((created_at) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || printf('.%06dZ', (((created_at) % 1000000) + 1000000) % 1000000) AS created_json
    FROM endorsements;

CREATE TABLE ledger_old (
    seq BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO ledger_old (seq, kind, at, payload, prev_hash, hash)
    SELECT l.seq, l.kind, strftime('%Y-%m-%d %H:%M:%S', ((l.at) - (((l.at) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || printf('.%06d', (((l.at) % 1000000) + 1000000) % 1000000),
           COALESCE(l.payload,
               '{"created_at":"' || et.created_json || '"'
               || ',"created_by":' || json_quote(k.name)
               || ',"endorsee":' || json_quote(b.handle)
               || ',"endorser":' || json_quote(a.handle)
               || ',"id":' || e.id
               || ',"note":' || json_quote(e.note)
               || ',"topic":' || json_quote(t.slug) || '}',
               'null'),
           lower(hex(COALESCE(lag(l.hash) OVER (ORDER BY l.seq), zeroblob(32)))),
           lower(hex(l.hash))
    FROM ledger l
    LEFT JOIN endorsements e ON e.id = l.seq AND l.payload IS NULL
    LEFT JOIN endorsement_times et ON et.id = e.id
    LEFT JOIN users a ON a.id = e.endorser_id
    LEFT JOIN users b ON b.id = e.endorsee_id
    LEFT JOIN topics t ON t.id = e.topic_id
    LEFT JOIN api_keys k ON k.id = e.created_by
    ORDER BY l.seq;
DROP TABLE ledger;
ALTER TABLE ledger_old RENAME TO ledger;

CREATE TABLE endorsements_old (
    id BIGINT PRIMARY KEY NOT NULL,
    endorser_id INTEGER NOT NULL REFERENCES users (id),
    endorsee_id INTEGER NOT NULL REFERENCES users (id),
    topic_id INTEGER NOT NULL REFERENCES topics (id),
    note TEXT,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    ledger_seq BIGINT NOT NULL REFERENCES ledger (seq),
    created_by INTEGER REFERENCES api_keys (id)
);
INSERT INTO endorsements_old
    SELECT e.id, e.endorser_id, e.endorsee_id, e.topic_id, e.note, e.status,
           et.created_text, et.revoked_text, e.ledger_seq, e.created_by
    FROM endorsements e JOIN endorsement_times et ON et.id = e.id ORDER BY e.id;
DROP VIEW endorsement_times;
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
