//! plusk keeps an honest ledger of +K endorsements.
//!
//! Layout, from the inside out:
//! - [`domain`]: handles, topics, endorsements, keys, the ledger's hashing, the rules, the
//!   detectors and the writer's in-memory model they read. Pure code.
//! - [`db`]: the backend chosen from `DATABASE_URL`, the pool, transactions, migrations, the schema.
//! - [`storage`]: the SQL, one module per table; functions take `&mut DbConn`.
//! - [`service`]: the use cases, which gather, let the domain decide, and apply through storage;
//!   who owns a write's transaction is said there.
//! - [`http`]: the actix-web server: routes, auth, problem+json errors, OpenAPI.
//! - [`cli`]: the `plusk` command line; `main.rs` only calls it.
//!
//! An endorsement's way from request to commit: the handler validates it and hands the service
//! call to the writer (`service::writer`), which runs it in the batch's `service::tx::Tx`; the
//! service asks the domain (`domain::rules`, then `domain::detect`, both over `domain::model`)
//! and hands the rows to the `Tx`, which writes them through [`storage`] before the commit.

pub mod cli;
pub mod db;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod service;
pub mod storage;
