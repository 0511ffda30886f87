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

/// The database answers.
#[utoipa::path(
    get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "`{\"status\":\"ready\"}`"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(crate::service::Error::from)
        })
        .await
        .map_err(|_| ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database does not answer",
            )
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}
