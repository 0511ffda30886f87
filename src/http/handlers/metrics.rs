//! `GET /metrics`: the process's metrics in the Prometheus text format, for an admin key on the
//! API listener, or for anyone on the metrics listener (`--metrics-bind`, a private network).

use actix_web::{web, HttpResponse};

use crate::domain::keys::Permission;
use crate::http::auth::Caller;
use crate::http::errors::ApiError;
use crate::http::extract::{NoParams, Query};
use crate::http::state::AppState;

/// The Prometheus exposition's content type.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metrics, for an admin key (Prometheus sends it as a bearer token).
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    responses(
        (status = 200, content_type = "text/plain", description = "Prometheus text exposition format"),
        (status = 403, body = crate::http::errors::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn scrape(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Administer)?;
    open(state).await
}

/// Metrics without a key: served only on the metrics listener.
pub async fn open(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let metrics = crate::metrics::get();
    let pool = state.pool.state();
    metrics.pool_state(pool.connections, pool.idle_connections);
    // The head is read when scraped: one indexed lookup, and right whoever wrote it.
    if let Ok(head) = state.run(crate::service::ledger::head_seq).await {
        metrics.ledger_head.set(head);
    }
    Ok(HttpResponse::Ok()
        .content_type(EXPOSITION)
        .body(metrics.render()))
}
