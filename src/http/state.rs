//! What every handler shares, and the bridge from async handlers to blocking diesel calls.

use std::sync::Arc;

use actix_web::web;

use super::client_ip::TrustedProxies;
use super::cors::CorsOrigins;
use super::errors::ApiError;
use super::key_cache::KeyCache;
use super::ratelimit::Limiters;
use crate::db::{DbConn, DbPool};
use crate::domain::flag::Detection;
use crate::service;
use crate::service::reputation::worker::Worker;
use crate::service::tx::Tx;
use crate::service::writer::Writer;

/// Shared by all workers.
#[derive(Clone)]
pub struct AppState {
    /// Connections to the database; diesel is blocking, so they are used on actix's blocking pool.
    pub pool: DbPool,
    /// Endorsements one endorser may give per rolling 24 hours; `None` lifts the budget.
    pub daily_budget: Option<u32>,
    /// Request rate limits of this instance.
    pub limiters: Arc<Limiters>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub proxies: TrustedProxies,
    /// Web origins allowed to call the API from a browser.
    pub cors: CorsOrigins,
    /// How long a client may take to send a request body.
    pub body_timeout: std::time::Duration,
    /// The group-commit writer every endorsement write goes through.
    pub writer: Arc<Writer>,
    /// Recent API key lookups.
    pub keys: Arc<KeyCache>,
    /// The begging detectors' settings.
    pub detection: Detection,
    /// The background reputation recompute, and its parameters.
    pub reputation: Arc<Worker>,
    /// One ledger verify at a time, and the last head found good.
    pub verify: Arc<super::verify_gate::VerifyGate>,
    /// Who may create topics by using them.
    pub topics: crate::domain::rules::TopicPolicy,
    /// Explanations of heavily endorsed users, weighed once per run.
    pub explanations: Arc<crate::service::reputation::explain::Explanations>,
    /// The console's sessions (in this process's memory).
    pub console: Arc<super::console::session::Sessions>,
}

impl AppState {
    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> service::Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let outcome = web::block(move || {
            let waited = std::time::Instant::now();
            let conn = pool.get();
            crate::metrics::get()
                .pool_wait
                .observe(waited.elapsed().as_secs_f64());
            let mut conn = conn?;
            f(&mut conn)
        })
        .await
        .map_err(|e| {
            ApiError::from(service::Error::Internal(format!(
                "blocking task failed: {e}"
            )))
        })?;
        outcome.map_err(ApiError::from)
    }

    /// Runs `f` in the writer's next batch; answers once the batch is committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> service::Result<T> + Send + 'static,
    {
        self.writer.run(f).await.map_err(ApiError::from)
    }
}
