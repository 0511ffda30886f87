DROP TABLE key_usage;
ALTER TABLE api_keys DROP COLUMN global_per_minute;
