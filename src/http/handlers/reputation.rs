//! The analyst API: reputation by user and topic, leaderboards (JSON or CSV), explanations,
//! history, topic details; and the admin's seeds and forced recompute.

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::endorsements::parse_limit;
use crate::domain::cursor::RankCursor;
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::domain::topic::TopicSlug;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::state::AppState;
use crate::service::reputation::explain::{explain as explain_score, Explanation};
use crate::service::reputation::{
    self as svc, History, Leaderboard, Report, Scope, Seeds, TopicDetail, UserReputation, MAX_SEEDS,
};

/// A user's score in every topic they have one in.
#[utoipa::path(
    get, path = "/v1/users/{handle}/reputation", tag = "reputation",
    params(("handle" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,64}$", description = "User handle")),
    responses(
        (status = 200, body = UserReputation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn of_user(
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
    params(("slug" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug"), LeaderboardParams),
    responses(
        (status = 200, description = "The page", content((Leaderboard = "application/json"), (String = "text/csv"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn leaderboard(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    slug: web::Path<String>,
    params: web::Query<LeaderboardParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
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
    if wants_csv(&req) {
        return csv(&board);
    }
    Ok(HttpResponse::Ok().json(board))
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|m| m.trim().starts_with("text/csv")))
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

/// A score taken apart into the endorsements that make it.
#[utoipa::path(
    get, path = "/v1/users/{handle}/reputation/{topic}/explain", tag = "reputation",
    params(
        ("handle" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,64}$", description = "User handle"),
        ("topic" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug"),
    ),
    responses(
        (status = 200, body = Explanation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn explain(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadReputation)?;
    let (handle, topic) = path.into_inner();
    let (handle, topic) = (Handle::parse("handle", &handle)?, TopicSlug::parse(&topic)?);
    let e = state
        .run(move |conn| explain_score(conn, &handle, &topic))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

/// A score over time: one kept run a day, and the current one.
#[utoipa::path(
    get, path = "/v1/users/{handle}/reputation/{topic}/history", tag = "reputation",
    params(
        ("handle" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,64}$", description = "User handle"),
        ("topic" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug"),
    ),
    responses(
        (status = 200, body = History),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn history(
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
    params(("slug" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug")),
    responses(
        (status = 200, body = TopicDetail),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn topic(
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
    params(("slug" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug")),
    responses(
        (status = 200, body = TopicDetail, description = "The topic existed already"),
        (status = 201, body = TopicDetail, description = "Created"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_topic(
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
    params(("slug" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug")),
    responses(
        (status = 200, body = Seeds),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn seeds(
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
    params(("slug" = String, Path, pattern = "^[A-Za-z0-9 -]{1,64}$", description = "Topic slug")),
    request_body = SeedsBody,
    responses(
        (status = 200, body = Seeds),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_seeds(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Json<SeedsBody>,
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
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn recompute(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(Permission::Administer)?;
    // No body at all means every topic. A body that is sent is read like any other JSON body
    // (400, 415): `Option<web::Json<_>>` took a malformed or non-JSON body for "every topic".
    let slugs = if body.is_empty() {
        Vec::new()
    } else {
        let mut payload = actix_web::dev::Payload::from(body);
        web::Json::<RecomputeBody>::from_request(&req, &mut payload)
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
