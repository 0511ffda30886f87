-- `GET /v1/ledger?kind=…` finds the rarer kinds (every kind but endorsement.created, which is
-- most of the chain and is found by reading it in order) without scanning the chain. It covers
-- the key events `ledger_key_events` indexed, so that index goes.
CREATE INDEX ledger_other_kinds ON ledger (kind, seq) WHERE kind <> 'endorsement.created';
DROP INDEX ledger_key_events;
