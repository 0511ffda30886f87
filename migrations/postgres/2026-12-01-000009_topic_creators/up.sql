-- The key that brought a topic into being by using it (NULL: an import, or a topic older than
-- this column). The per-key limit on new topics counts a key's topics of the last 24 hours.
ALTER TABLE topics ADD COLUMN created_by INTEGER REFERENCES api_keys (id);
CREATE INDEX topics_created_by ON topics (created_by, created_at);
