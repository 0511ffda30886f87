//! Liveness and readiness probes (no key needed).

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::http::errors::{ApiError, Problem};
use crate::http::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "`{\"status\":\"up\"}`")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "up" }))
}

/// Ready to serve: the database answers, no migration is pending, and the writer has started
/// and is running. Otherwise 503 with the reason (`database_unavailable`, `migrations_pending`,
/// `writer_starting`, `writer_down`), so a balancer sends traffic elsewhere meanwhile.
#[utoipa::path(
    get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "`{\"status\":\"ready\"}`"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pending = state
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(crate::service::Error::from)?;
            crate::db::pending_migrations(conn)
                .map_err(|e| crate::service::Error::Internal(e.to_string()))
        })
        .await
        .map_err(|_| {
            not_ready(
                "database_unavailable",
                "the database does not answer".into(),
            )
        })?;
    if !pending.is_empty() {
        let detail = format!(
            "migrations are pending ({}): run `plusk migrate`",
            pending.join(", ")
        );
        return Err(not_ready("migrations_pending", detail));
    }
    if !state.writer.is_running() {
        return Err(not_ready("writer_down", "the writer has stopped".into()));
    }
    if !state
        .writer
        .started()
        .load(std::sync::atomic::Ordering::Acquire)
    {
        let detail = "the writer is still loading its state".into();
        return Err(not_ready("writer_starting", detail));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

fn not_ready(code: &'static str, detail: String) -> ApiError {
    ApiError {
        retry_after: Some(1),
        ..ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            code,
            detail,
        )
    }
}
