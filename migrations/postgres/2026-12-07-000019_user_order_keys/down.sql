-- User-ordered parts hold whole rows again, copied out of the rank-ordered parts (json, not
-- jsonb, keeps each number's text as it was written).
DROP VIEW current_scores;

DELETE FROM reputation_parts WHERE NOT by_rank;
INSERT INTO reputation_parts (run_id, by_rank, first_rank, first_user, entries)
SELECT run_id, false, 0, min(user_id), '[' || string_agg(line, ',' ORDER BY user_id) || ']'
FROM (
    SELECT run_id, user_id, line,
           (row_number() OVER (PARTITION BY run_id ORDER BY user_id) - 1) / 128 AS part
    FROM (
        SELECT p.run_id, (e.value ->> 0)::integer AS user_id, e.value::text AS line
        FROM reputation_parts p CROSS JOIN LATERAL json_array_elements(p.entries::json) e
        WHERE p.by_rank
    ) s
) k
GROUP BY run_id, part;

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
JOIN reputation_parts p ON p.run_id = r.id AND NOT p.by_rank
CROSS JOIN LATERAL json_array_elements(p.entries::json) e
JOIN users u ON u.id = (e.value ->> 0)::integer
WHERE r.is_current AND t.merged_into IS NULL;
