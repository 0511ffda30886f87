DROP TABLE recompute_claims;
