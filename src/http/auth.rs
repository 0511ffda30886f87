//! Bearer-key authentication for `/v1`, and the role check handlers call.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::errors::ApiError;
use super::state::AppState;
use crate::domain::keys::Permission;
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

/// Middleware: resolves the key before any handler or body extractor runs, so a request
/// without a valid key is answered 401 whatever else is wrong with it.
pub async fn require_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let token = bearer(&req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::from(service::Error::Internal("app state missing".into())))?;
    let principal = state
        .run(move |conn| service::keys::authenticate(conn, &token))
        .await?
        .ok_or_else(|| unauthorized("unknown or revoked API key"))?;
    req.extensions_mut().insert(principal);
    next.call(req).await
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
