-- Scores are kept as parts of 128 rows each, in JSON, instead of one row per (run, user) with
-- three B-trees to update for each: a recompute writes a few thousand text values instead of
-- a million index entries. Each run is written twice: in user order (a user's score in a run,
-- history, explain) and in rank order (leaderboards). A part is keyed by its first row, so the
-- part holding a user or a rank is the last one whose key is not past it.
-- A row: [user_id, raw, score, rank, percentile, counted, discounted, out_weight].
CREATE TABLE reputation_parts (
    run_id INTEGER NOT NULL REFERENCES reputation_runs (id),
    by_rank BOOLEAN NOT NULL,
    -- The first row's rank in a rank-ordered part; 0 in a user-ordered one.
    first_rank INTEGER NOT NULL,
    first_user INTEGER NOT NULL,
    entries TEXT NOT NULL,
    PRIMARY KEY (run_id, by_rank, first_rank, first_user)
);

-- '%!.17g' is SQLite's round-trip form of a double (plain '%g' stops at 16 digits).
INSERT INTO reputation_parts (run_id, by_rank, first_rank, first_user, entries)
SELECT run_id, 0, 0, min(user_id), '[' || group_concat(line, ',' ORDER BY user_id) || ']'
FROM (
    SELECT run_id, user_id,
           (row_number() OVER (PARTITION BY run_id ORDER BY user_id) - 1) / 128 AS part,
           '[' || user_id || ',' || printf('%!.17g', raw) || ',' || printf('%!.17g', score) || ','
               || rank || ',' || printf('%!.17g', percentile) || ',' || counted || ','
               || discounted || ','
               || CASE WHEN out_weight IS NULL THEN 'null' ELSE printf('%!.17g', out_weight) END
               || ']' AS line
    FROM reputation_scores
)
GROUP BY run_id, part;

INSERT INTO reputation_parts (run_id, by_rank, first_rank, first_user, entries)
SELECT run_id, 1, max(first_rank), max(first_user),
       '[' || group_concat(line, ',' ORDER BY rank, user_id) || ']'
FROM (
    SELECT run_id, user_id, rank, part, line,
           first_value(rank) OVER (PARTITION BY run_id, part ORDER BY rank, user_id) AS first_rank,
           first_value(user_id) OVER (PARTITION BY run_id, part ORDER BY rank, user_id) AS first_user
    FROM (
        SELECT run_id, user_id, rank,
               (row_number() OVER (PARTITION BY run_id ORDER BY rank, user_id) - 1) / 128 AS part,
               '[' || user_id || ',' || printf('%!.17g', raw) || ',' || printf('%!.17g', score)
                   || ',' || rank || ',' || printf('%!.17g', percentile) || ',' || counted || ','
                   || discounted || ','
                   || CASE WHEN out_weight IS NULL THEN 'null'
                           ELSE printf('%!.17g', out_weight) END
                   || ']' AS line
        FROM reputation_scores
    )
)
GROUP BY run_id, part;

DROP VIEW current_scores;
DROP TABLE reputation_scores;

-- The current scores as analysts query them: one row per scored user in the current run of
-- each topic, read out of the user-ordered parts.
CREATE VIEW current_scores AS
SELECT t.slug AS topic,
       u.handle AS handle,
       e.value ->> 3 AS rank,
       e.value ->> 2 AS score,
       e.value ->> 4 AS percentile,
       e.value ->> 1 AS raw,
       e.value ->> 5 AS counted,
       e.value ->> 6 AS discounted,
       r.computed_at AS computed_at,
       r.id AS run_id
FROM reputation_runs r
JOIN topics t ON t.id = r.topic_id
JOIN reputation_parts p ON p.run_id = r.id AND NOT p.by_rank
JOIN json_each(p.entries) e
JOIN users u ON u.id = e.value ->> 0
WHERE r.is_current AND t.merged_into IS NULL;
