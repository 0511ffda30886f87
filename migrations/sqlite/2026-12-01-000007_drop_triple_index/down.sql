CREATE INDEX endorsements_triple_time ON endorsements (endorser_id, endorsee_id, topic_id, created_at);
