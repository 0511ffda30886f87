//! Bearer-key authentication for `/v1`, and the role check handlers call.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};

use super::errors::ApiError;
use super::ratelimit::{Class, Decision, Identity};
use super::state::AppState;
use crate::domain::keys::{hash_key, Permission};
use crate::service::{self, Principal};

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
}

/// The token of an `Authorization: Bearer <key>` header.
fn bearer(req: &ServiceRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("send an API key as `Authorization: Bearer <key>`"))?;
    let text = value
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| unauthorized("malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(unauthorized(
            "use the Bearer scheme: `Authorization: Bearer <key>`",
        ));
    }
    Ok(token.trim().to_string())
}

fn rate_limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests; see Retry-After",
    )
}

/// The live key a token belongs to, from the cache or the database. A lookup the cache cannot
/// answer first draws from the client address's lookup bucket, so a client past it is refused
/// without costing the database anything.
async fn lookup(
    state: &AppState,
    req: &ServiceRequest,
    token: String,
) -> Result<Option<Principal>, ApiError> {
    let key_hash = hash_key(&token);
    if let Some(cached) = state.keys.get(&key_hash) {
        return Ok(cached);
    }
    let decision = state.limiters.check_lookup(state.proxies.of_request(req));
    if let Decision::Denied {
        retry_after_secs, ..
    } = decision
    {
        return Err(ApiError {
            retry_after: Some(retry_after_secs),
            ..rate_limited()
        });
    }
    let generation = state.keys.generation();
    let principal = state
        .run(move |conn| service::keys::authenticate(conn, &token))
        .await?;
    state.keys.put(key_hash, principal.clone(), generation);
    Ok(principal)
}

/// Counts a request of a key with a global quota in the database; the refusal once the quota
/// is spent. Only keys an admin gave a global quota pay this round trip.
async fn count_global(state: &AppState, p: &Principal) -> Result<Option<ApiError>, ApiError> {
    let Some(limit) = p.global_per_minute else {
        return Ok(None);
    };
    let key_id = p.key_id;
    let now = crate::domain::time::now().timestamp_micros();
    let wait = state
        .run(move |conn| service::keys::count_global(conn, key_id, limit, now))
        .await?;
    Ok(wait.map(|secs| ApiError {
        retry_after: Some(secs),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "global_quota_exhausted",
            format!(
                "this key made its {limit} requests a minute across all instances; see Retry-After"
            ),
        )
    }))
}

/// Middleware for `/v1`: resolves the key, then draws from the caller's rate-limit bucket
/// (the key's, or the client IP's when there is no valid key), all before any handler or body
/// extractor runs. So a request without a valid key is answered 401 (or 429) whatever else is
/// wrong with it, and every response carries the `RateLimit-*` headers.
pub async fn admit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::from(service::Error::Internal("app state missing".into())))?;
    let principal = match bearer(&req) {
        Ok(token) => lookup(&state, &req, token)
            .await?
            .ok_or_else(|| unauthorized("unknown or revoked API key")),
        Err(e) => Err(e),
    };
    let who = match &principal {
        Ok(p) => Identity::Key(p.key_id),
        Err(_) => Identity::client(state.proxies.of_request(&req)),
    };
    let own_rate = principal.as_ref().ok().and_then(|p| p.rate);
    let decision = state.limiters.check(who, Class::of(req.method()), own_rate);
    let refusal = if decision.is_denied() {
        Some(rate_limited())
    } else {
        match &principal {
            Ok(p) => count_global(&state, p).await?,
            Err(e) => Some(e.clone()),
        }
    };
    let mut res = match (refusal, principal) {
        (Some(err), _) => req.into_response(err.error_response()),
        (None, Ok(p)) => {
            req.extensions_mut().insert(p);
            next.call(req).await?.map_into_boxed_body()
        }
        (None, Err(err)) => req.into_response(err.error_response()),
    };
    decision.write_headers(res.headers_mut());
    Ok(res)
}

/// The authenticated caller, for handlers.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// The principal, if its role grants `permission`; 403 otherwise.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ApiError> {
        if self.0.role.allows(permission) {
            Ok(&self.0)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("the {} role may not do this", self.0.role),
            ))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = req.extensions().get::<Principal>().cloned();
        std::future::ready(
            principal
                .map(Caller)
                .ok_or_else(|| unauthorized("no API key")),
        )
    }
}
