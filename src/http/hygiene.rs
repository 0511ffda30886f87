//! What every response carries whatever route answered it: a request id (also in the logs), an
//! access-log line, `nosniff`, no framing, `no-store` on the API, a content security policy on
//! the documentation pages, and CORS headers for the origins an operator allows (none by
//! default).

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use tracing_actix_web::RequestId;

use super::errors::ProblemCode;
use super::state::AppState;

pub const REQUEST_ID: &str = "x-request-id";

/// Headers a page on an allowed origin may send, and read back.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept, Idempotency-Key";
const EXPOSE_HEADERS: &str = "X-Request-Id, Location, Retry-After, X-Next-Cursor, \
     Idempotent-Replayed, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "3600";
/// The API documentation pages (Swagger UI, served from the binary): their own scripts and
/// styles only, the data: images its stylesheet uses, and no framing by other sites. Swagger UI
/// sets element styles from its script, hence `'unsafe-inline'` for styles (not for scripts).
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'; object-src 'none'";

/// Outermost middleware but for the tracing span: answers allowed CORS preflights, and adds the
/// headers above to every response, errors included.
pub async fn hygiene(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(ToString::to_string)
        .unwrap_or_default();
    let api = req.path().starts_with("/v1");
    let docs = req.path().starts_with("/docs");
    let origin = allowed_origin(&req);
    let method = req.method().clone();

    let mut res = if origin.is_some() && is_preflight(&req) {
        req.into_response(HttpResponse::NoContent().finish())
    } else {
        next.call(req).await?.map_into_boxed_body()
    };

    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    crate::metrics::get().request(&route, method.as_str(), status.as_u16(), started.elapsed());
    let key = res
        .request()
        .extensions()
        .get::<crate::service::Principal>()
        .map(|p| p.name.clone());
    let code = res
        .response()
        .extensions()
        .get::<ProblemCode>()
        .map(|c| c.0);
    let headers = res.headers_mut();
    put(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // No page of plusk's is meant to be framed by another site (clickjacking).
    put(headers, header::X_FRAME_OPTIONS, "DENY");
    if docs {
        put(headers, header::CONTENT_SECURITY_POLICY, DOCS_CSP);
    }
    if api {
        put(headers, header::CACHE_CONTROL, "no-store");
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID), v);
    }
    if let Some(origin) = origin {
        cors_headers(headers, &origin, method == Method::OPTIONS);
    }
    log(
        &Line {
            status,
            route: &route,
            key: key.as_deref(),
            code,
        },
        started,
    );
    Ok(res)
}

/// The request's `Origin`, when it is one the operator allows.
fn allowed_origin(req: &ServiceRequest) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let state = req.app_data::<web::Data<AppState>>()?;
    state
        .cors
        .allows(origin.to_str().ok()?)
        .then(|| origin.clone())
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn cors_headers(headers: &mut HeaderMap, origin: &HeaderValue, preflight: bool) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    // Answers differ by origin, so caches must keep them apart.
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if preflight {
        put(headers, header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
        put(headers, header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
        put(headers, header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE);
    } else {
        put(
            headers,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            EXPOSE_HEADERS,
        );
    }
}

fn put(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

/// What the access log says of a request beyond its span.
struct Line<'a> {
    status: StatusCode,
    /// The matched route pattern (`/v1/endorsements/{id}`).
    route: &'a str,
    /// The name of the key that made it, never the key.
    key: Option<&'a str>,
    /// The problem code of an error response.
    code: Option<&'static str>,
}

/// One line per request, inside the request's span, which already names the request id, method,
/// path and client. Never the headers or the body: they hold keys and users' text.
fn log(l: &Line<'_>, started: Instant) {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, route, key, code) = (l.status.as_u16(), l.route, l.key, l.code);
    if l.status.is_server_error() {
        tracing::warn!(status, route, key, code, ms, "request");
    } else {
        tracing::info!(status, route, key, code, ms, "request");
    }
}
