ALTER TABLE users DROP COLUMN received_changes;
