//! `/v1/endorsements`: give, read, list and revoke.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::paths::IdPath;
use crate::domain::cursor::Cursor;
use crate::domain::endorsement::{Endorsement, NewEndorsement, Status};
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::domain::ledger::canonical_json;
use crate::domain::topic::TopicSlug;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::{Json, NoParams, Query};
use crate::http::paging::{parse_limit, parse_time};
use crate::http::state::AppState;
use crate::service::endorsements::{self as svc, CreateOutcome, IdempotencyKey, ListQuery};

/// Body of `POST /v1/endorsements`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Handle of the user who vouches: 1–64 of `A-Z a-z 0-9 _ . -`, case-insensitive.
    #[schema(example = "alice", pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub endorser: String,
    /// Handle of the user vouched for.
    #[schema(example = "bob", pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub endorsee: String,
    /// Topic: 1–64 of `a-z 0-9 -` after lower-casing and turning spaces into `-`.
    #[schema(example = "social-media", pattern = "^[A-Za-z0-9 -]{1,64}$")]
    pub topic: String,
    /// Optional, at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// Longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The `Idempotency-Key` header, if any, with a hash of the request it came with.
fn idempotency_key(
    req: &HttpRequest,
    body: &CreateBody,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1–255 visible ASCII characters",
            )
        })?;
    let request_hash = hex::encode(Sha256::digest(canonical_json(body).as_bytes()));
    Ok(Some(IdempotencyKey {
        key: key.to_string(),
        request_hash,
    }))
}

/// Give an endorsement.
#[utoipa::path(
    post, path = "/v1/endorsements", tag = "endorsements", operation_id = "create_endorsement",
    request_body = CreateBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key and body return the original response")),
    responses(
        (status = 201, description = "Recorded (a retry with the same Idempotency-Key returns the original)", body = Endorsement),
        (status = 400, description = "Malformed body or invalid handle, topic or note", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not write endorsements", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_endorsement` or `too_soon`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`self_endorsement` or `idempotency_mismatch`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`daily_budget_exhausted` or `rate_limited`; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::WriteEndorsements)?.clone();
    let body = body.into_inner();
    let idem = idempotency_key(&req, &body)?;
    let new = NewEndorsement::parse(&body.endorser, &body.endorsee, &body.topic, body.note)?;
    let (budget, detection, topics) = (state.daily_budget, state.detection, state.topics);
    let outcome = state
        .write(move |tx| svc::create(tx, &new, &by, budget, idem.as_ref(), &detection, topics))
        .await?;
    let (e, replayed) = match outcome {
        CreateOutcome::New(e) => {
            crate::metrics::get()
                .endorsements
                .with_label_values(&[e.status.as_str()])
                .inc();
            (e, false)
        }
        CreateOutcome::Replayed(e) => (e, true),
    };
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/v1/endorsements/{}", e.id)));
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(e))
}

/// Read one endorsement.
#[utoipa::path(
    get, path = "/v1/endorsements/{id}", tag = "endorsements", operation_id = "get_endorsement",
    params(IdPath),
    responses(
        (status = 200, body = Endorsement),
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
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
    let e = state.run(move |conn| svc::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Revoke an endorsement: only the app that created it, or an admin.
#[utoipa::path(
    delete, path = "/v1/endorsements/{id}", tag = "endorsements", operation_id = "revoke_endorsement",
    params(IdPath),
    responses(
        (status = 200, description = "Revoked", body = Endorsement),
        (status = 403, description = "Not the creating app, or role may not write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_revoked`, or `endorsement_voided`: a moderator voided it (final)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    _: Query<NoParams>,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(Permission::WriteEndorsements)?.clone();
    let id = id.into_inner();
    let e = state.write(move |tx| svc::revoke(tx, id, &by)).await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Default and largest page sizes for listings.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Filters for `GET /v1/endorsements`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Endorser handle.
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub endorser: Option<String>,
    /// Endorsee handle.
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub endorsee: Option<String>,
    /// Topic slug.
    #[param(pattern = "^[A-Za-z0-9 -]{1,64}$")]
    pub topic: Option<String>,
    /// `active`, `flagged`, `voided`, `revoked`, or `all` (the default: every status).
    #[param(pattern = "^(active|flagged|voided|revoked|all)$")]
    pub status: Option<String>,
    /// Created at or after this RFC 3339 instant.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Created before this RFC 3339 instant.
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// A page of endorsements, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndorsementPage {
    pub items: Vec<Endorsement>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl ListParams {
    fn into_query(self) -> Result<ListQuery, ApiError> {
        Ok(ListQuery {
            endorser: self
                .endorser
                .as_deref()
                .map(|h| Handle::parse("endorser", h))
                .transpose()?,
            endorsee: self
                .endorsee
                .as_deref()
                .map(|h| Handle::parse("endorsee", h))
                .transpose()?,
            topic: self.topic.as_deref().map(TopicSlug::parse).transpose()?,
            status: self
                .status
                .as_deref()
                .filter(|s| *s != "all")
                .map(str::parse::<Status>)
                .transpose()?,
            since: parse_time("since", &self.since)?,
            until: parse_time("until", &self.until)?,
            cursor: self.cursor.as_deref().map(Cursor::decode).transpose()?,
            limit: parse_limit(self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
        })
    }
}

/// List endorsements, newest first.
#[utoipa::path(
    get, path = "/v1/endorsements", tag = "endorsements", operation_id = "list_endorsements",
    params(ListParams),
    responses(
        (status = 200, body = EndorsementPage),
        (status = 400, description = "A bad filter, cursor or limit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let q = params.into_inner().into_query()?;
    let page = state.run(move |conn| svc::list(conn, &q)).await?;
    Ok(HttpResponse::Ok().json(EndorsementPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
