-- A key's global quota: requests a minute across every plusk instance on this database, for
-- operators who need one limit per app rather than one per instance. NULL = none.
ALTER TABLE api_keys ADD COLUMN global_per_minute INTEGER;

-- What keys with a global quota used, per minute (`minute` = seconds since the epoch / 60).
-- Only the current and the previous minute are read; the rest is pruned.
CREATE TABLE key_usage (
    key_id INTEGER NOT NULL REFERENCES api_keys (id),
    minute BIGINT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (key_id, minute)
);
