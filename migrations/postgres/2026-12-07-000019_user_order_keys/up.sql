-- A run's user-ordered parts hold [user_id, rank] for each user, not the whole row again (issue
-- 14: a recompute wrote every score twice, most of its store at 10M endorsements). The row is
-- read from the rank-ordered part its key (rank, user_id) falls in. The current_scores view
-- reads the rank-ordered parts, which hold every row.
DROP VIEW current_scores;

DELETE FROM reputation_parts WHERE NOT by_rank;
INSERT INTO reputation_parts (run_id, by_rank, first_rank, first_user, entries)
SELECT run_id, false, 0, min(user_id),
       '[' || string_agg('[' || user_id || ',' || rank || ']', ',' ORDER BY user_id) || ']'
FROM (
    SELECT run_id, user_id, rank,
           (row_number() OVER (PARTITION BY run_id ORDER BY user_id) - 1) / 128 AS part
    FROM (
        SELECT p.run_id, (e.value ->> 0)::integer AS user_id, (e.value ->> 3)::integer AS rank
        FROM reputation_parts p CROSS JOIN LATERAL json_array_elements(p.entries::json) e
        WHERE p.by_rank
    ) s
) k
GROUP BY run_id, part;

-- The current scores as analysts query them: one row per scored user in the current run of
-- each topic, read out of the rank-ordered parts.
CREATE VIEW current_scores AS
SELECT t.slug AS topic,
       u.handle AS handle,
       (e.value ->> 3)::integer AS rank,
       (e.value ->> 2)::double precision AS score,
       (e.value ->> 4)::double precision AS percentile,
       (e.value ->> 1)::double precision AS raw,
       (e.value ->> 5)::integer AS counted,
       (e.value ->> 6)::integer AS discounted,
       r.computed_at AS computed_at,
       r.id AS run_id
FROM reputation_runs r
JOIN topics t ON t.id = r.topic_id
JOIN reputation_parts p ON p.run_id = r.id AND p.by_rank
CROSS JOIN LATERAL json_array_elements(p.entries::json) e
JOIN users u ON u.id = (e.value ->> 0)::integer
WHERE r.is_current AND t.merged_into IS NULL;
