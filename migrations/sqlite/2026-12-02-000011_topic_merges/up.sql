-- `plusk topics merge FROM INTO` (ledger entry `topic.merged`). The merged topic's row stays, so
-- the entries that named it still rebuild and verify, and points at the topic it went into:
-- lookups of its slug follow `merged_into`, listings leave it out.
ALTER TABLE topics ADD COLUMN merged_into INTEGER REFERENCES topics (id);
-- An endorsement a merge moved keeps the topic its `endorsement.created` entry names, which
-- the entry's payload is rebuilt from (NULL: it is still in the topic it was created in).
ALTER TABLE endorsements ADD COLUMN origin_topic_id INTEGER REFERENCES topics (id);
