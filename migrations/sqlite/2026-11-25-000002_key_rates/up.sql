-- A key's own request quota; NULL = the server's defaults, rate_per_sec 0 = unlimited.
ALTER TABLE api_keys ADD COLUMN rate_per_sec INTEGER;
ALTER TABLE api_keys ADD COLUMN rate_burst INTEGER;
