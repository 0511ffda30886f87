DROP INDEX ledger_key_events;
DROP INDEX topics_created_by;
ALTER TABLE topics DROP COLUMN created_by;
