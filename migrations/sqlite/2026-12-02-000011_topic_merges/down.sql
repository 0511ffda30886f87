ALTER TABLE endorsements DROP COLUMN origin_topic_id;
ALTER TABLE topics DROP COLUMN merged_into;
