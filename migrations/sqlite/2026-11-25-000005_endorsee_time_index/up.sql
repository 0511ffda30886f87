-- Inbound endorsements by time (burst detection, reciprocity, late-reported asks): the
-- endorsee's entries in a time range, whatever the topic.
DROP INDEX endorsements_endorsee_topic;
CREATE INDEX endorsements_endorsee_time ON endorsements (endorsee_id, created_at);
