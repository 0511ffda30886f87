DROP TABLE reputation_scores;
DROP TABLE reputation_runs;
DROP TABLE topic_seeds;
