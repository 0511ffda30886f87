ALTER TABLE api_keys DROP COLUMN rate_burst;
ALTER TABLE api_keys DROP COLUMN rate_per_sec;
