-- A smaller ledger (issue 11: every byte is written to the WAL and fsynced).
-- * hash: 32 bytes instead of 64 hex characters.
-- * prev_hash: gone; it is the previous entry's hash, and readers take it from there.
-- * payload: NULL for endorsement.created; readers rebuild it from the endorsement row, whose
--   id is the entry's seq. The hash still covers it, so editing the row, or a handle or slug it
--   names, breaks the chain at that entry exactly as editing a stored payload did.
ALTER TABLE ledger DROP COLUMN prev_hash;
ALTER TABLE ledger ALTER COLUMN payload DROP NOT NULL;
UPDATE ledger SET payload = NULL WHERE kind = 'endorsement.created';
-- Changing the type rewrites the table, which also drops the copies the UPDATE left behind.
ALTER TABLE ledger ALTER COLUMN hash TYPE BYTEA USING decode(hash, 'hex');
