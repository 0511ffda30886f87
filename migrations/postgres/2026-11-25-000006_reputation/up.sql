-- Reputation: the seeds an admin trusts per topic, and materialised scores by run.

-- Pre-trusted users of a topic: teleports go to them (to everyone active when a topic has none).
CREATE TABLE topic_seeds (
    topic_id INTEGER NOT NULL REFERENCES topics (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (topic_id, user_id)
);

-- One recompute of one topic. Readers use the topic's current run; a new run is written beside
-- it and made current in one short transaction. The first run of each UTC day is kept as a
-- snapshot for history; other superseded runs are deleted.
CREATE TABLE reputation_runs (
    id SERIAL PRIMARY KEY,
    topic_id INTEGER NOT NULL REFERENCES topics (id),
    computed_at TIMESTAMP NOT NULL,
    users INTEGER NOT NULL,
    endorsements BIGINT NOT NULL,
    iterations INTEGER NOT NULL,
    -- The parameters in force, as JSON.
    params TEXT NOT NULL,
    is_current BOOLEAN NOT NULL,
    is_snapshot BOOLEAN NOT NULL
);
CREATE INDEX reputation_runs_topic ON reputation_runs (topic_id, is_current, computed_at);

-- Derived rows, rewritten by every run: no foreign key on user_id, so bulk writes stay cheap.
CREATE TABLE reputation_scores (
    run_id INTEGER NOT NULL REFERENCES reputation_runs (id),
    user_id INTEGER NOT NULL,
    raw DOUBLE PRECISION NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    rank INTEGER NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    counted INTEGER NOT NULL,
    discounted INTEGER NOT NULL,
    PRIMARY KEY (run_id, user_id)
);
-- Leaderboards page by rank; a user's topics and history look up by user.
CREATE INDEX reputation_scores_rank ON reputation_scores (run_id, rank, user_id);
CREATE INDEX reputation_scores_user ON reputation_scores (user_id, run_id);
