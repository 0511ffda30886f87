DROP VIEW current_scores;
CREATE TABLE reputation_scores (
    run_id INTEGER NOT NULL REFERENCES reputation_runs (id),
    user_id INTEGER NOT NULL,
    raw DOUBLE NOT NULL,
    score DOUBLE NOT NULL,
    rank INTEGER NOT NULL,
    percentile DOUBLE NOT NULL,
    counted INTEGER NOT NULL,
    discounted INTEGER NOT NULL,
    out_weight DOUBLE,
    PRIMARY KEY (run_id, user_id)
);
CREATE INDEX reputation_scores_rank ON reputation_scores (run_id, rank, user_id);
CREATE INDEX reputation_scores_user ON reputation_scores (user_id, run_id);
INSERT INTO reputation_scores
SELECT p.run_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
       e.value ->> 5, e.value ->> 6, e.value ->> 7
FROM reputation_parts p JOIN json_each(p.entries) e
WHERE NOT p.by_rank;
DROP TABLE reputation_parts;
-- The current scores as analysts query them, by name instead of by id: one row per scored user
-- in the current run of each topic. The tables behind it (runs, scores by run and user) are laid
-- out for the recompute's writes; this view is the stable way to read them from SQL.
CREATE VIEW current_scores AS
SELECT t.slug AS topic,
       u.handle AS handle,
       s.rank AS rank,
       s.score AS score,
       s.percentile AS percentile,
       s.raw AS raw,
       s.counted AS counted,
       s.discounted AS discounted,
       r.computed_at AS computed_at,
       r.id AS run_id
FROM reputation_runs r
JOIN topics t ON t.id = r.topic_id
JOIN reputation_scores s ON s.run_id = r.id
JOIN users u ON u.id = s.user_id
WHERE r.is_current AND t.merged_into IS NULL;
