-- Reputation recomputes claimed per topic, so that several plusk instances on one database share
-- the work and never compute a topic twice at once. A claim is held until `until_micros`
-- (microseconds since the epoch): a crashed instance's claims expire on their own.
CREATE TABLE recompute_claims (
    topic_id INTEGER PRIMARY KEY NOT NULL REFERENCES topics (id),
    claimed_by TEXT NOT NULL,
    until_micros BIGINT NOT NULL
);
