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
