-- A flag.raised entry kept on the flag it raised (issue 11: a crowd's endorsements are held,
-- and each held one wrote a ledger row, its index entries and a 280-byte payload that repeats
-- the flag row), as migration 18 did for endorsement.created entries. The flag row holds all
-- of the payload but one member:
-- * entry_hash: the entry's SHA-256, 32 bytes (NULL: the entry is a row of the ledger table,
--   as for every flag raised before this migration; they stay there, where readers find them).
-- * entry_status: the endorsement's status once the flag was raised (the payload's
--   endorsement_status; a review may change it since).
-- The entry's seq is the flag's id and its time the flag's created_at, as they always were.
ALTER TABLE flags ADD COLUMN entry_hash BYTEA, ADD COLUMN entry_status TEXT;
