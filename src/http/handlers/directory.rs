//! `/v1/users/{handle}` and `/v1/topics`.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::state::AppState;
use crate::service::users::{self as svc, TopicInfo, UserInfo};

/// A user: when first seen, and live endorsements given and received.
#[utoipa::path(
    get, path = "/v1/users/{handle}", tag = "directory",
    params(("handle" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,64}$", description = "User handle (case-insensitive)")),
    responses(
        (status = 200, body = UserInfo),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn user(
    state: web::Data<AppState>,
    caller: Caller,
    handle: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let handle = Handle::parse("handle", &handle)?;
    let info = state.run(move |conn| svc::get(conn, &handle)).await?;
    Ok(HttpResponse::Ok().json(info))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicList {
    pub items: Vec<TopicInfo>,
}

/// Every topic with its count of live endorsements, by slug.
#[utoipa::path(
    get, path = "/v1/topics", tag = "directory",
    responses(
        (status = 200, body = TopicList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn topics(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let items = state.run(svc::topics).await?;
    Ok(HttpResponse::Ok().json(TopicList { items }))
}
