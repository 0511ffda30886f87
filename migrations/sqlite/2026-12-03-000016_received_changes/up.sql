-- How many times the status of an endorsement this user received has changed (revoked, held,
-- decided, moved by a topic merge). Explanations of a score are cached per run and user; this
-- counter is part of the cache key, so a change made by any instance shows at once.
ALTER TABLE users ADD COLUMN received_changes BIGINT NOT NULL DEFAULT 0;
