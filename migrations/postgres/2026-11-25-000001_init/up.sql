-- plusk base schema (PostgreSQL). Kept in step with migrations/sqlite: same tables, same columns.
-- Timestamps are UTC, stored as TIMESTAMP text with at most microsecond precision.

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE topics (
    id SERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_keys (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- The append-only, hash-chained ledger. seq is assigned by plusk under the write lock.
CREATE TABLE ledger (
    seq BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- A projection of the ledger, written in the same transaction as the entry it follows from.
CREATE TABLE endorsements (
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

-- Daily budget window and "given" counts.
CREATE INDEX endorsements_endorser_time ON endorsements (endorser_id, created_at);
-- "received" counts and per-user, per-topic lookups.
CREATE INDEX endorsements_endorsee_topic ON endorsements (endorsee_id, topic_id, created_at);
-- Topic listings and counts.
CREATE INDEX endorsements_topic_time ON endorsements (topic_id, created_at);
-- Newest-first listing with a (created_at, id) cursor.
CREATE INDEX endorsements_time_id ON endorsements (created_at, id);
-- The re-endorse-after-revoke rule looks at the latest endorsement of a triple.
CREATE INDEX endorsements_triple_time ON endorsements (endorser_id, endorsee_id, topic_id, created_at);
-- One live endorsement per triple, enforced by the database as a second line of defence.
CREATE UNIQUE INDEX endorsements_one_live ON endorsements (endorser_id, endorsee_id, topic_id)
    WHERE status <> 'revoked';

CREATE TABLE idempotency_keys (
    api_key_id INTEGER NOT NULL REFERENCES api_keys (id),
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
