//! `/v1/keys`: API keys, for admins.

use actix_web::{http::header, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::paths::KeyPath;
use crate::domain::keys::{Patch, Permission, Role};
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::{Json, NoParams, Query};
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
        (status = 201, body = NewKey, headers(("Location" = String, description = "The key's URL: `/v1/keys/{name}`"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`key_exists`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateKeyBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let CreateKeyBody { name, role } = body.into_inner();
    let key = state
        .write(move |tx| svc::create_in(tx, &name, role))
        .await?;
    let location = format!("/v1/keys/{}", key.info.name);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(key))
}

/// List keys (never the keys themselves).
#[utoipa::path(
    get, path = "/v1/keys", tag = "keys", operation_id = "list_keys",
    responses(
        (status = 200, body = KeyList),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let items = state.run(svc::list).await?;
    Ok(HttpResponse::Ok().json(KeyList { items }))
}

/// Body of `PATCH /v1/keys/{name}`: a JSON merge patch (RFC 7396). A field left out keeps its
/// value; `null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchKeyBody {
    /// Requests per second for this key, for writes and reads alike; `0` = unlimited;
    /// `null` = back to the server's defaults (the burst goes with it).
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<u32>, maximum = 1_000_000)]
    pub rate_per_sec: Patch<u32>,
    /// Requests allowed in one burst; `null` = one second's worth of the rate.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<u32>, maximum = 1_000_000)]
    pub burst: Patch<u32>,
    /// Requests a minute across every plusk instance on the database (1–60,000,000), counted
    /// in the database on top of the per-instance rate; `null` = no global quota.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 60_000_000)]
    pub global_per_minute: Patch<u32>,
}

/// Reads a merge-patch field that is present: `null` clears, a value sets (an absent field
/// never reaches this and stays `Keep`).
fn patch_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Patch<u32>, D::Error> {
    Ok(match Option::<u32>::deserialize(d)? {
        Some(v) => Patch::Set(v),
        None => Patch::Clear,
    })
}

/// Change a key's own request quota: only the fields sent change.
#[utoipa::path(
    patch, path = "/v1/keys/{name}", tag = "keys",
    params(KeyPath),
    request_body = PatchKeyBody,
    responses(
        (status = 200, body = KeyInfo),
        (status = 400, description = "`invalid_rate` or a malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live key of that name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn patch(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    name: web::Path<String>,
    body: Json<PatchKeyBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let PatchKeyBody {
        rate_per_sec,
        burst,
        global_per_minute,
    } = body.into_inner();
    let patch = svc::QuotaPatch {
        rate_per_sec,
        burst,
        global_per_minute,
    };
    let name = name.into_inner();
    let info = state
        .write(move |tx| svc::patch_rate_in(tx, &name, patch))
        .await?;
    state.keys.clear();
    Ok(HttpResponse::Ok().json(info))
}

/// One key by name, live or revoked (never the key itself).
#[utoipa::path(
    get, path = "/v1/keys/{name}", tag = "keys", operation_id = "get_key",
    params(KeyPath),
    responses(
        (status = 200, body = KeyInfo),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No key of that name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ManageKeys)?;
    let name = name.into_inner();
    let info = state.run(move |conn| svc::get(conn, &name)).await?;
    Ok(HttpResponse::Ok().json(info))
}

/// Revoke a key by name.
#[utoipa::path(
    delete, path = "/v1/keys/{name}", tag = "keys", operation_id = "revoke_key",
    params(KeyPath),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live key of that name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    _: Query<NoParams>,
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
