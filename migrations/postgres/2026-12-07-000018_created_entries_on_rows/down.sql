-- Every endorsement.created entry back in the ledger table, and ledger_seq back on its row.
INSERT INTO ledger (seq, kind, at, payload, hash)
    SELECT id, 'endorsement.created', COALESCE(entry_at, created_at), NULL, entry_hash
    FROM endorsements WHERE entry_hash IS NOT NULL ORDER BY id;
ALTER TABLE endorsements ADD COLUMN ledger_seq BIGINT REFERENCES ledger (seq);
UPDATE endorsements SET ledger_seq = id;
ALTER TABLE endorsements ALTER COLUMN ledger_seq SET NOT NULL;
ALTER TABLE endorsements DROP COLUMN entry_hash;
ALTER TABLE endorsements DROP COLUMN entry_at;
