//! `/v1/flags`: the moderation queue.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::paths::IdPath;
use crate::domain::cursor::ScoreCursor;
use crate::domain::flag::{Decision, Flag, FlagStatus, Reason};
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::domain::topic::TopicSlug;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::{Json, NoParams, Query};
use crate::http::paging::parse_limit;
use crate::http::state::AppState;
use crate::service::flags::{self as svc, FlagDetail};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FlagParams {
    /// `open` (the default, with every other filter too: this is the moderation queue),
    /// `upheld`, `dismissed`, or `all` for every status.
    #[param(pattern = "^(open|upheld|dismissed|all)$")]
    pub status: Option<String>,
    /// Only flags raised for this reason.
    #[param(value_type = Option<Reason>)]
    pub reason: Option<String>,
    /// Only flags on this endorsement (still open ones only, unless `status` says otherwise).
    pub endorsement_id: Option<i64>,
    /// Only flags on endorsements in this topic (slug).
    #[param(pattern = "^[A-Za-z0-9 -]{1,64}$")]
    pub topic: Option<String>,
    /// Only flags on endorsements this user gave or received (handle).
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub user: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagPage {
    pub items: Vec<Flag>,
    pub next_cursor: Option<String>,
}

/// The cursor of the page that ends with `f`.
pub(crate) fn encode_cursor(f: &Flag) -> String {
    ScoreCursor {
        score: f.score,
        id: f.id,
    }
    .encode()
}

impl FlagParams {
    /// The service query these parameters ask for; `400` with a code naming what is wrong.
    pub fn query(&self) -> Result<svc::Query, ApiError> {
        let status = match self.status.as_deref() {
            None => Some(FlagStatus::Open),
            Some("all") => None,
            Some(s) => Some(FlagStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request("invalid_status", format!("unknown flag status `{s}`"))
            })?),
        };
        let reason = self
            .reason
            .as_deref()
            .map(|r| {
                Reason::parse(r).ok_or_else(|| {
                    ApiError::bad_request("invalid_reason", format!("unknown reason `{r}`"))
                })
            })
            .transpose()?;
        Ok(svc::Query {
            status,
            reason,
            endorsement_id: self.endorsement_id,
            topic: self.topic.as_deref().map(TopicSlug::parse).transpose()?,
            user: self
                .user
                .as_deref()
                .map(|h| Handle::parse("user", h))
                .transpose()?,
            after: self
                .cursor
                .as_deref()
                .map(ScoreCursor::decode)
                .transpose()?,
            limit: parse_limit(self.limit, 50, 500)? + 1,
        })
    }
}

/// One page of flags and the cursor of the next, from a query asking one more than the page.
fn page_of(mut items: Vec<Flag>, limit: usize) -> FlagPage {
    let next_cursor = (items.len() > limit).then(|| {
        items.truncate(limit);
        items.last().map(encode_cursor)
    });
    FlagPage {
        items,
        next_cursor: next_cursor.flatten(),
    }
}

/// The queue: highest score first, oldest first on ties.
#[utoipa::path(
    get, path = "/v1/flags", tag = "moderation", operation_id = "list_flags",
    params(FlagParams),
    responses(
        (status = 200, body = FlagPage),
        (status = 400, description = "`invalid_status`, `invalid_reason`, `invalid_topic`, `invalid_handle` (user), `invalid_limit`, `invalid_cursor` or `invalid_query`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<FlagParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let query = params.query()?;
    let limit = (query.limit - 1) as usize;
    let items = state.run(move |conn| svc::list(conn, &query)).await?;
    Ok(HttpResponse::Ok().json(page_of(items, limit)))
}

/// One flag, its endorsement and the evidence.
#[utoipa::path(
    get, path = "/v1/flags/{id}", tag = "moderation", operation_id = "get_flag",
    params(IdPath),
    responses(
        (status = 200, body = FlagDetail),
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
    Ok(HttpResponse::Ok().json(state.run(move |conn| svc::get(conn, id)).await?))
}

/// Longest review note.
const MAX_NOTE: usize = 2000;
/// Most flags reviewed in one bulk request.
pub(crate) const MAX_BULK: usize = 500;

pub(crate) fn check_note(note: &Option<String>) -> Result<(), ApiError> {
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(ApiError::bad_request(
            "invalid_text",
            format!("note is longer than {MAX_NOTE} characters"),
        ));
    }
    if let Some(n) = note {
        crate::domain::text::check("note", n).map_err(ApiError::from)?;
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `uphold` voids the endorsement; `dismiss` releases it once no open flag holds it.
    pub decision: Decision,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Review a flag (moderator or admin). A flag is reviewed once.
#[utoipa::path(
    post, path = "/v1/flags/{id}/review", tag = "moderation",
    params(IdPath),
    request_body = ReviewBody,
    responses(
        (status = 200, body = FlagDetail),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_reviewed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn review(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::Moderate)?.clone();
    let (id, ReviewBody { decision, note }) = (id.into_inner(), body.into_inner());
    check_note(&note)?;
    let detection = state.detection;
    let detail = state
        .write(move |tx| svc::review(tx, id, decision, note, &by, &detection))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReviewBody {
    /// The flags to decide together, e.g. every flag of one ring or one burst (1–500). Give
    /// either this or `solicitation_id`.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub ids: Vec<i64>,
    /// Every open flag raised for this reported ask (a backdated or malicious report is
    /// dismissed in one action), instead of `ids`.
    #[serde(default)]
    pub solicitation_id: Option<i64>,
    pub decision: Decision,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReviewResult {
    pub items: Vec<FlagDetail>,
}

/// Review several flags with one decision, all or none (moderator or admin).
#[utoipa::path(
    post, path = "/v1/flags/review", tag = "moderation",
    request_body = BulkReviewBody,
    responses(
        (status = 200, body = BulkReviewResult),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "a flag id or the solicitation is unknown", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_reviewed`: nothing was changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn review_many(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<BulkReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::Moderate)?.clone();
    let BulkReviewBody {
        mut ids,
        solicitation_id,
        decision,
        note,
    } = body.into_inner();
    check_note(&note)?;
    ids.sort_unstable();
    ids.dedup();
    let detection = state.detection;
    let items = match solicitation_id {
        Some(report) if ids.is_empty() => {
            state
                .write(move |tx| svc::review_report(tx, report, decision, note, &by, &detection))
                .await?
        }
        None if !ids.is_empty() && ids.len() <= MAX_BULK => {
            state
                .write(move |tx| svc::review_all(tx, &ids, decision, note, &by, &detection))
                .await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_ids",
                format!("give either 1 to {MAX_BULK} flag ids or a solicitation_id"),
            ))
        }
    };
    Ok(HttpResponse::Ok().json(BulkReviewResult { items }))
}
