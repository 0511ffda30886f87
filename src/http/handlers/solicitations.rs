//! `/v1/solicitations`: client apps report what their users post or send; plusk keeps it as
//! evidence, with the classifier's verdict.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::endorsements::{DEFAULT_LIMIT, MAX_LIMIT};
use super::paths::IdPath;
use crate::domain::cursor::Cursor;
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::domain::solicitation::request::{NewSolicitation, Solicitation};
use crate::domain::time;
use crate::domain::topic::TopicSlug;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::{Json, NoParams, Query};
use crate::http::paging::parse_limit;
use crate::http::state::AppState;
use crate::service::solicitations as svc;

/// Body of `POST /v1/solicitations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// Who asked.
    #[schema(example = "carol", pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub requester: String,
    /// Whom they asked; null or absent for a broadcast to everyone.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub target: Option<String>,
    /// The topic asked about, if any.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9 -]{1,64}$")]
    pub topic: Option<String>,
    /// What they wrote (1–5,000 characters).
    #[schema(
        example = "can you please give me a +K on Klout for my blog?",
        min_length = 1,
        max_length = 5000
    )]
    pub text: String,
    /// Where it was seen ("dm", "forum", …), up to 64 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    pub channel: Option<String>,
    /// When it was seen (RFC 3339); default now.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub observed_at: Option<String>,
}

/// Report a solicitation.
#[utoipa::path(
    post, path = "/v1/solicitations", tag = "solicitations",
    request_body = ReportBody,
    responses(
        (status = 201, body = Solicitation),
        (status = 400, description = "`invalid_handle`, `invalid_topic`, `invalid_text`, `invalid_timestamp` (not RFC 3339, in the future, or older than the flag window) or a malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`report_limit_exhausted`: this key's reports per 24 hours are used up; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn report(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ReportBody>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::WriteEndorsements)?.clone();
    let b = body.into_inner();
    let observed_at = crate::http::paging::parse_time("observed_at", &b.observed_at)?;
    let req = NewSolicitation::parse(
        &b.requester,
        b.target.as_deref(),
        b.topic.as_deref(),
        b.text,
        b.channel,
        observed_at,
        time::now(),
    )?;
    req.check_window(time::now(), state.detection.window)?;
    let (detection, topics) = (state.detection, state.topics);
    let s = state
        .write(move |tx| svc::record(tx, &req, Some(&by), &detection, topics))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/solicitations/{}", s.id)))
        .json(s))
}

/// Read a reported solicitation.
#[utoipa::path(
    get, path = "/v1/solicitations/{id}", tag = "solicitations", operation_id = "get_solicitation",
    params(IdPath),
    responses(
        (status = 200, body = Solicitation),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let id = id.into_inner();
    let s = state.run(move |conn| svc::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Filters for `GET /v1/solicitations`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only asks by this user (handle).
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub requester: Option<String>,
    /// Only asks addressed to this user (handle); broadcasts have no target.
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub target: Option<String>,
    /// Only asks about this topic (slug).
    #[param(pattern = "^[A-Za-z0-9 -]{1,64}$")]
    pub topic: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    /// The service query; `400` with a code naming the bad parameter.
    pub fn query(&self) -> Result<svc::ListQuery, ApiError> {
        let handle = |field: &'static str, raw: &Option<String>| {
            raw.as_deref().map(|h| Handle::parse(field, h)).transpose()
        };
        Ok(svc::ListQuery {
            requester: handle("requester", &self.requester)?,
            target: handle("target", &self.target)?,
            topic: self.topic.as_deref().map(TopicSlug::parse).transpose()?,
            cursor: self.cursor.as_deref().map(Cursor::decode).transpose()?,
            limit: parse_limit(self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
        })
    }
}

/// A page of reported solicitations, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SolicitationPage {
    pub items: Vec<Solicitation>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// List reported solicitations, newest observed first.
#[utoipa::path(
    get, path = "/v1/solicitations", tag = "solicitations", operation_id = "list_solicitations",
    params(ListParams),
    responses(
        (status = 200, body = SolicitationPage),
        (status = 400, description = "`invalid_handle` (requester, target), `invalid_topic`, `invalid_limit`, `invalid_cursor` or `invalid_query`", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let q = params.query()?;
    let page = state.run(move |conn| svc::list(conn, &q)).await?;
    Ok(HttpResponse::Ok().json(SolicitationPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
