//! Errors on the wire: RFC 9457 `application/problem+json` with a stable `code`.
//!
//! Every error a client can see is built here, from a service error or from actix's own
//! extractor errors, so the shape never varies. Internal causes are logged, never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{error, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use crate::domain::Rejection;
use crate::service;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:plusk:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong with this request, for a human.
    pub detail: String,
    /// Stable machine-readable code, e.g. `duplicate_endorsement`.
    pub code: String,
}

/// The problem code a response carried, kept in its extensions for the access log.
#[derive(Debug, Clone, Copy)]
pub struct ProblemCode(pub &'static str);

/// An error response about to be sent.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:plusk:problem:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        crate::metrics::get()
            .refusals
            .with_label_values(&[self.code])
            .inc();
        let mut res = res.body(serde_json::to_string(&self.problem()).unwrap_or_default());
        // For the access log line.
        res.extensions_mut().insert(ProblemCode(self.code));
        res
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        let status = match &r {
            Rejection::SelfEndorsement
            | Rejection::UnknownTopic { .. }
            | Rejection::UnknownUsers { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::DuplicateEndorsement { .. }
            | Rejection::TooSoon { .. }
            | Rejection::AlreadyRevoked
            | Rejection::CursorOutdated
            | Rejection::EndorsementVoided => StatusCode::CONFLICT,
            Rejection::DailyBudgetExhausted { .. }
            | Rejection::ReportLimitExhausted { .. }
            | Rejection::TopicLimitExhausted { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        };
        let retry_after = match &r {
            Rejection::TooSoon { retry_after_secs }
            | Rejection::DailyBudgetExhausted {
                retry_after_secs, ..
            }
            | Rejection::ReportLimitExhausted {
                retry_after_secs, ..
            }
            | Rejection::TopicLimitExhausted {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        ApiError {
            retry_after,
            ..ApiError::new(status, r.code(), r.to_string())
        }
    }
}

impl From<service::Error> for ApiError {
    fn from(e: service::Error) -> ApiError {
        use service::Error as E;
        match e {
            E::Rejected(r) => r.into(),
            E::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            E::Forbidden(detail) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail),
            E::Conflict { code, detail } => ApiError::new(StatusCode::CONFLICT, code, detail),
            E::IdempotencyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch",
                e.to_string(),
            ),
            E::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError {
                    retry_after: Some(1),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "database_unavailable",
                        "the database is unavailable; try again shortly",
                    )
                }
            }
            E::StorageFull(cause) => {
                tracing::error!(%cause, "database storage full");
                ApiError {
                    retry_after: Some(30),
                    ..ApiError::new(
                        StatusCode::INSUFFICIENT_STORAGE,
                        "storage_full",
                        "the database has no room for this write; reads still work; try again \
                         once an operator has made room",
                    )
                }
            }
            E::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

/// Turns actix's JSON body errors into problems: 413 over the limit, 415 for a non-JSON type,
/// 400 for anything that does not parse into the expected shape.
/// A path segment that does not parse, named when the route has one parameter (all of plusk's
/// typed path parameters are alone in their route).
pub fn path_error(err: error::PathError, req: &HttpRequest) -> actix_web::Error {
    let what = super::extract::clearer(&err.to_string());
    let names: Vec<&str> = req.match_info().iter().map(|(name, _)| name).collect();
    let detail = match names.as_slice() {
        [one] => format!("path parameter `{one}`: {what}"),
        _ => format!("the path: {what}"),
    };
    ApiError::bad_request("invalid_path", detail).into()
}

/// For unknown routes.
pub async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").error_response()
}

/// For a known route called with a method it does not have; `allow` lists the ones it has.
pub async fn method_not_allowed(allow: String) -> HttpResponse {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this route takes {allow}"),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
