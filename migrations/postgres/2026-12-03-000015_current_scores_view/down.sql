DROP VIEW current_scores;
