-- Flags raised by the begging detectors, and their review. id = the ledger seq of flag.raised.
CREATE TABLE flags (
    id BIGINT PRIMARY KEY NOT NULL,
    endorsement_id BIGINT NOT NULL REFERENCES endorsements (id),
    reason TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP,
    review_note TEXT,
    reviewed_by INTEGER REFERENCES api_keys (id)
);

-- The moderation queue: open flags, highest score first.
CREATE INDEX flags_status_score ON flags (status, score, id);
CREATE INDEX flags_endorsement ON flags (endorsement_id);
