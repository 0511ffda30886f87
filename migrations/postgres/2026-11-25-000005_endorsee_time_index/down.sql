DROP INDEX endorsements_endorsee_time;
CREATE INDEX endorsements_endorsee_topic ON endorsements (endorsee_id, topic_id, created_at);
