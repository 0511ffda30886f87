//! Integration tests: the real HTTP stack against a fresh real database per test.
//!
//! Every scenario runs on SQLite (a temp file) and on PostgreSQL (a fresh database) when
//! `PLUSK_TEST_POSTGRES_URL` is set; with `CI=true` a missing PostgreSQL URL fails the run.

mod common;

mod auth;
mod auth_matrix;
mod classify;
mod cli;
mod concurrency;
mod console;
mod edges;
mod endorsements;
mod errors;
mod flags;
mod hostile;
mod hygiene;
mod instances;
mod ledger;
mod listings;
mod merge;
mod operations;
mod races;
mod ratelimit;
mod reputation;
mod reputation_alpha;
mod reputation_large;
mod reputation_reference;
mod schema;
mod solicitations;
mod sweep;
mod tls;
mod topics;
mod writer;
