CREATE INDEX ledger_key_events ON ledger (seq) WHERE kind = 'key.changed';
DROP INDEX ledger_other_kinds;
