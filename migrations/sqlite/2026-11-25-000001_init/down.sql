DROP TABLE idempotency_keys;
DROP TABLE endorsements;
DROP TABLE ledger;
DROP TABLE api_keys;
DROP TABLE topics;
DROP TABLE users;
