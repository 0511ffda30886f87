//! `/v1/keys`: API keys, for admins.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::keys::{Permission, Rate, Role};
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::state::AppState;
use crate::service::keys::{self as svc, KeyInfo, NewKey};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyBody {
    /// 1–64 of `A-Z a-z 0-9 _ . -`; never reused.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyInfo>,
}

/// Create a key. The key is in the response and nowhere else, ever.
#[utoipa::path(
    post, path = "/v1/keys", tag = "keys", operation_id = "create_key",
    request_body = CreateKeyBody,
    responses(
        (status = 201, body = NewKey),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`key_exists`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateKeyBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let CreateKeyBody { name, role } = body.into_inner();
    let key = state
        .write(move |tx| svc::create_in(tx, &name, role))
        .await?;
    Ok(HttpResponse::Created().json(key))
}

/// List keys (never the keys themselves).
#[utoipa::path(
    get, path = "/v1/keys", tag = "keys", operation_id = "list_keys",
    responses(
        (status = 200, body = KeyList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let items = state.run(svc::list).await?;
    Ok(HttpResponse::Ok().json(KeyList { items }))
}

/// Body of `PATCH /v1/keys/{name}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchKeyBody {
    /// Requests per second for this key, for writes and reads alike; `0` = unlimited;
    /// `null` = back to the server's defaults.
    #[schema(maximum = 1_000_000)]
    pub rate_per_sec: Option<u32>,
    /// Requests allowed in one burst (default: one second's worth).
    #[serde(default)]
    #[schema(maximum = 1_000_000)]
    pub burst: Option<u32>,
}

/// Give a key its own request quota.
#[utoipa::path(
    patch, path = "/v1/keys/{name}", tag = "keys",
    params(("name" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,64}$", description = "Key name")),
    request_body = PatchKeyBody,
    responses(
        (status = 200, body = KeyInfo),
        (status = 400, description = "`invalid_rate` or a malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live key of that name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    name: web::Path<String>,
    body: web::Json<PatchKeyBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let body = body.into_inner();
    let rate = body
        .rate_per_sec
        .map(|r| Rate::new(r, body.burst))
        .transpose()?;
    let name = name.into_inner();
    let info = state
        .write(move |tx| svc::set_rate_in(tx, &name, rate))
        .await?;
    state.keys.clear();
    Ok(HttpResponse::Ok().json(info))
}

/// Revoke a key by name.
#[utoipa::path(
    delete, path = "/v1/keys/{name}", tag = "keys", operation_id = "revoke_key",
    params(("name" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,64}$", description = "Key name")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live key of that name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let name = name.into_inner();
    state.write(move |tx| svc::revoke_in(tx, &name)).await?;
    state.keys.clear();
    Ok(HttpResponse::NoContent().finish())
}
