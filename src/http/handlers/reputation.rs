//! The analyst API: reputation by user and topic, leaderboards (JSON or CSV), explanations,
//! history, topic details; and the admin's seeds and forced recompute.

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::paths::{HandlePath, HandleTopicPath, SlugPath};
use crate::domain::cursor::{ExplainCursor, RankCursor};
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::domain::topic::TopicSlug;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::{Json, NoParams, Query};
use crate::http::negotiate::{negotiate, Format};
use crate::http::paging::parse_limit;
use crate::http::state::AppState;
use crate::service::reputation::explain::{
    explain as explain_score, Explanation, Page, DEFAULT_LISTED, MAX_LISTED,
};
use crate::service::reputation::{
    self as svc, History, Leaderboard, Report, Scope, Seeds, TopicDetail, UserReputation, MAX_SEEDS,
};

/// A user's score in every topic they have one in.
#[utoipa::path(
    get, path = "/v1/users/{handle}/reputation", tag = "reputation",
    params(HandlePath),
    responses(
        (status = 200, body = UserReputation),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn of_user(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    handle: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let handle = Handle::parse("handle", &handle)?;
    let r = state.run(move |conn| svc::of_user(conn, &handle)).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A topic's users by rank. `Accept: text/csv` gives the same rows as CSV (with the
/// `next_cursor`, if any, in a `Link`-free `X-Next-Cursor` header).
#[utoipa::path(
    get, path = "/v1/topics/{slug}/leaderboard", tag = "reputation",
    params(SlugPath, LeaderboardParams),
    responses(
        (status = 200, description = "The page", content((Leaderboard = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`not_acceptable`: `Accept` names neither JSON nor CSV", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn leaderboard(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    slug: web::Path<String>,
    params: Query<LeaderboardParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let format = negotiate(&req, &[Format::Json, Format::Csv])?;
    let topic = TopicSlug::parse(&slug)?;
    let limit = parse_limit(params.limit, 100, 1000)?;
    let after = params
        .cursor
        .as_deref()
        .map(RankCursor::decode)
        .transpose()?;
    let board = state
        .run(move |conn| svc::leaderboard(conn, &topic, after, limit))
        .await?;
    match format {
        Format::Csv => csv(&board),
        Format::Json => Ok(HttpResponse::Ok().json(board)),
    }
}

/// A text cell a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) gets a leading apostrophe, as OWASP advises against CSV injection.
/// Handles may begin with `-`.
fn not_a_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub(crate) fn csv(board: &Leaderboard) -> Result<HttpResponse, ApiError> {
    let internal = |e: &dyn std::fmt::Display| {
        ApiError::from(crate::service::Error::Internal(format!("csv: {e}")))
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &board.items {
        let row = svc::LeaderRow {
            user: not_a_formula(&row.user),
            ..row.clone()
        };
        w.serialize(row).map_err(|e| internal(&e))?;
    }
    if board.items.is_empty() {
        w.write_record([
            "rank",
            "user",
            "score",
            "raw",
            "percentile",
            "counted",
            "discounted",
        ])
        .map_err(|e| internal(&e))?;
    }
    let body = w.into_inner().map_err(|e| internal(&e))?;
    let mut res = HttpResponse::Ok();
    res.content_type("text/csv; charset=utf-8");
    if let Some(c) = &board.next_cursor {
        res.insert_header(("X-Next-Cursor", c.as_str()));
    }
    Ok(res.body(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExplainParams {
    /// Endorsements per part (counted, discounted) on one page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A score taken apart into the endorsements that make it, largest contributions first, a
/// page of each part at a time.
#[utoipa::path(
    get, path = "/v1/users/{handle}/reputation/{topic}/explain", tag = "reputation",
    params(HandleTopicPath, ExplainParams),
    responses(
        (status = 200, body = Explanation),
        (status = 400, description = "`invalid_limit`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cursor_outdated`: the score was recomputed since the cursor was made", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn explain(
    params: Query<ExplainParams>,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let (handle, topic) = path.into_inner();
    let (handle, topic) = (Handle::parse("handle", &handle)?, TopicSlug::parse(&topic)?);
    let limit = parse_limit(params.limit, DEFAULT_LISTED as i64, MAX_LISTED as i64)?;
    let after = params
        .cursor
        .as_deref()
        .map(ExplainCursor::decode)
        .transpose()?;
    let page = Page {
        limit: limit as usize,
        after,
    };
    let cache = state.explanations.clone();
    let e = state
        .run(move |conn| explain_score(conn, &cache, &handle, &topic, page))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

/// A score over time: one kept run a day, and the current one.
#[utoipa::path(
    get, path = "/v1/users/{handle}/reputation/{topic}/history", tag = "reputation",
    params(HandleTopicPath),
    responses(
        (status = 200, body = History),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let (handle, topic) = path.into_inner();
    let (handle, topic) = (Handle::parse("handle", &handle)?, TopicSlug::parse(&topic)?);
    let h = state
        .run(move |conn| svc::history(conn, &handle, &topic))
        .await?;
    Ok(HttpResponse::Ok().json(h))
}

/// A topic: endorsement counts, seeds, the last recompute and the parameters in force.
#[utoipa::path(
    get, path = "/v1/topics/{slug}", tag = "reputation",
    params(SlugPath),
    responses(
        (status = 200, body = TopicDetail),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn topic(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let topic = TopicSlug::parse(&slug)?;
    let params = state.reputation.schedule.params;
    let t = state
        .run(move |conn| svc::topic(conn, &topic, &params))
        .await?;
    Ok(HttpResponse::Ok().json(t))
}

/// Creates a topic before anyone uses it (the way to add topics when `PLUSK_TOPICS=closed`);
/// recorded in the ledger as `topic.created`. `201` when created, `200` when it existed.
#[utoipa::path(
    put, path = "/v1/topics/{slug}", tag = "reputation",
    params(SlugPath),
    responses(
        (status = 200, body = TopicDetail, description = "The topic existed already"),
        (status = 201, body = TopicDetail, description = "Created"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_topic(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::Administer)?.clone();
    let topic = TopicSlug::parse(&slug)?;
    let made = topic.clone();
    let created = state
        .write(move |tx| crate::service::topics::create(tx, &made, &by))
        .await?;
    let params = state.reputation.schedule.params;
    let location = format!("/v1/topics/{topic}");
    let t = state
        .run(move |conn| svc::topic(conn, &topic, &params))
        .await?;
    Ok(if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(t)
    } else {
        HttpResponse::Ok().json(t)
    })
}

/// A topic's seeds: the users its teleports go to.
#[utoipa::path(
    get, path = "/v1/topics/{slug}/seeds", tag = "reputation",
    params(SlugPath),
    responses(
        (status = 200, body = Seeds),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn seeds(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let topic = TopicSlug::parse(&slug)?;
    Ok(HttpResponse::Ok().json(state.run(move |conn| svc::seeds(conn, &topic)).await?))
}

/// Replaces a topic's seeds (admin). An empty list teleports to every active user again.
#[utoipa::path(
    put, path = "/v1/topics/{slug}/seeds", tag = "reputation",
    params(SlugPath),
    request_body = SeedsBody,
    responses(
        (status = 200, body = Seeds),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json",
            description = "`unknown_users`: a seed plusk has never seen (the detail names them)"),
    ),
    security(("bearer" = []))
)]
pub async fn set_seeds(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: Json<SeedsBody>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::Administer)?.clone();
    let topic = TopicSlug::parse(&slug)?;
    if body.seeds.len() > MAX_SEEDS {
        return Err(ApiError::bad_request(
            "too_many_seeds",
            format!("at most {MAX_SEEDS} seeds per topic"),
        ));
    }
    let seeds = body
        .seeds
        .iter()
        .map(|h| Handle::parse("seeds", h))
        .collect::<Result<Vec<_>, _>>()?;
    let out = state
        .write(move |tx| svc::set_seeds(tx, &topic, &seeds, &by))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeedsBody {
    /// Handles of pre-trusted users (at most 1000).
    #[schema(max_items = 1000)]
    pub seeds: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecomputeBody {
    /// Topic slugs to recompute; absent or empty: every topic.
    #[serde(default)]
    pub topics: Vec<String>,
}

/// Recomputes now (admin) and answers when done, with what it did.
#[utoipa::path(
    post, path = "/v1/reputation/recompute", tag = "reputation",
    request_body(content = Option<RecomputeBody>, description = "Optional: which topics"),
    responses(
        (status = 200, body = Report),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn recompute(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(Permission::Administer)?;
    // No body at all means every topic. A body that is sent is read like any other JSON body
    // (400, 415): `Option<Json<_>>` took a malformed or non-JSON body for "every topic".
    let slugs = if body.is_empty() {
        Vec::new()
    } else {
        let mut payload = actix_web::dev::Payload::from(body);
        Json::<RecomputeBody>::from_request(&req, &mut payload)
            .await?
            .into_inner()
            .topics
    };
    let scope = if slugs.is_empty() {
        Scope::All
    } else {
        let topics = slugs
            .iter()
            .map(|s| TopicSlug::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::from)?;
        Scope::Topics(state.run(move |conn| svc::topic_ids(conn, &topics)).await?)
    };
    let report = state
        .reputation
        .force(scope)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(report))
}
