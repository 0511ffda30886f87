-- Each scored user's out-weight in the run: the decayed total of what they gave in the topic
-- (held endorsements at full weight), which their endorsements are shares of. Explain reads it
-- instead of every endorsement each endorser gave. NULL in runs written before this column.
ALTER TABLE reputation_scores ADD COLUMN out_weight DOUBLE;
