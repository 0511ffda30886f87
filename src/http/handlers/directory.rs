//! `/v1/users/{handle}` and `/v1/topics`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::paths::HandlePath;
use crate::domain::cursor::NameCursor;
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::{NoParams, Query};
use crate::http::paging::parse_limit;
use crate::http::state::AppState;
use crate::service::users::{self as svc, TopicPage, UserInfo};

/// A user: when first seen, and live endorsements given and received.
#[utoipa::path(
    get, path = "/v1/users/{handle}", tag = "directory",
    params(HandlePath),
    responses(
        (status = 200, body = UserInfo),
    ),
    security(("bearer" = []))
)]
pub async fn user(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    handle: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let handle = Handle::parse("handle", &handle)?;
    let info = state.run(move |conn| svc::get(conn, &handle)).await?;
    Ok(HttpResponse::Ok().json(info))
}

/// Query parameters of `GET /v1/topics`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TopicsParams {
    /// Topics per page, 1–1000 (default 100).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Topics by slug, each with its endorsements counted by status; paged.
#[utoipa::path(
    get, path = "/v1/topics", tag = "directory",
    params(TopicsParams),
    responses(
        (status = 200, body = TopicPage),
        (status = 400, description = "`invalid_query`, `invalid_limit` or `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn topics(
    params: Query<TopicsParams>,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let params = params.into_inner();
    let limit = parse_limit(params.limit, 100, 1000)?;
    let after = params
        .cursor
        .as_deref()
        .map(NameCursor::decode)
        .transpose()?;
    let page = state
        .run(move |conn| svc::topics(conn, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
