-- Solicitations: what users posted or messaged, as reported by client apps, with the
-- classifier's verdict. Kept as evidence for the begging detectors. id = its ledger seq.
CREATE TABLE solicitations (
    id BIGINT PRIMARY KEY NOT NULL,
    requester_id INTEGER NOT NULL REFERENCES users (id),
    target_id INTEGER REFERENCES users (id),
    topic_id INTEGER REFERENCES topics (id),
    text TEXT NOT NULL,
    channel TEXT,
    observed_at TIMESTAMP NOT NULL,
    begging BOOLEAN NOT NULL,
    score DOUBLE NOT NULL,
    cues TEXT NOT NULL,
    language TEXT NOT NULL,
    ledger_seq BIGINT NOT NULL REFERENCES ledger (seq),
    created_by INTEGER REFERENCES api_keys (id)
);

-- "Did the endorsee ask the endorser (or everyone) shortly before?"
CREATE INDEX solicitations_requester_time ON solicitations (requester_id, observed_at);
CREATE INDEX solicitations_target_time ON solicitations (target_id, observed_at);
