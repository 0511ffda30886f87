-- The key that brought a topic into being by using it (NULL: an import, or a topic older than
-- this column). The per-key limit on new topics counts a key's topics of the last 24 hours.
ALTER TABLE topics ADD COLUMN created_by INTEGER REFERENCES api_keys (id);
CREATE INDEX topics_created_by ON topics (created_by, created_at);
-- Key events: plusk looks for the first one at start (keys made before keys were recorded in
-- the ledger are adopted once, when there is none). Only those few entries are indexed.
CREATE INDEX ledger_key_events ON ledger (seq) WHERE kind = 'key.changed';
