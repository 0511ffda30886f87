-- An endorsement.created entry kept on the endorsement row it created (issue 11: bytes on
-- disk), instead of a ledger row of its own: most of the chain is made of these entries, and
-- each cost a second row (a 24-byte header, a line pointer) and a primary-key entry for what
-- the endorsement row already says.
-- * entry_hash: the entry's SHA-256, 32 bytes (NULL: no entry created this row, which
--   `ledger verify` reports, as it reported a row without a ledger entry).
-- * entry_at: the entry's time, NULL when it is the endorsement's created_at (API writes,
--   where both are one reading of the clock); an import records the original time as
--   created_at and the time of the import here.
-- * ledger_seq: gone; it was always the row's id.
-- The ledger is read as the union of the ledger table (every other kind) and these rows, by
-- seq; entries and hashes are unchanged byte for byte. A created entry whose row no longer
-- matches it (an id that is not its seq) stays in the ledger table, where readers still find it.
ALTER TABLE endorsements ADD COLUMN entry_hash BYTEA;
ALTER TABLE endorsements ADD COLUMN entry_at TIMESTAMP;
UPDATE endorsements e
    SET entry_hash = l.hash, entry_at = NULLIF(l.at, e.created_at)
    FROM ledger l
    WHERE l.seq = e.id AND e.ledger_seq = e.id AND l.kind = 'endorsement.created';
-- Its foreign key would refuse the DELETE below.
ALTER TABLE endorsements DROP COLUMN ledger_seq;
DELETE FROM ledger l
    USING endorsements e
    WHERE l.seq = e.id AND e.entry_hash IS NOT NULL AND l.kind = 'endorsement.created';
