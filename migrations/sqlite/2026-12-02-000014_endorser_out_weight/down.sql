ALTER TABLE reputation_scores DROP COLUMN out_weight;
