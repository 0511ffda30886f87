//! plusk keeps an honest ledger of +K endorsements.
//!
//! Layout, from the inside out:
//! - [`domain`]: handles, topics, endorsements, keys, the ledger's hashing and the rules. Pure code.
//! - [`db`]: the backend chosen from `DATABASE_URL`, the pool, transactions, migrations, the schema.
//! - [`storage`]: the SQL, one module per table; functions take `&mut DbConn`.
//! - [`service`]: the use cases; each opens its transaction and combines domain and storage.
//! - [`http`]: the actix-web server: routes, auth, problem+json errors, OpenAPI.
//! - [`cli`]: the `plusk` command line; `main.rs` only calls it.

pub mod cli;
pub mod db;
pub mod domain;
pub mod http;
pub mod service;
pub mod storage;
