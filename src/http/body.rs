//! Request bodies are read whole, within a deadline, before any handler sees them: a client
//! that sends its body a byte at a time gets `408` instead of holding a connection and a
//! request slot for as long as it likes.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, ResponseError};

use super::errors::ApiError;
use super::state::AppState;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client may take to send a whole body, unless the server is told otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Middleware for `/v1`, inside authentication (so a caller without a valid key is turned away
/// before plusk reads a byte of the body).
pub async fn read_within_deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let deadline = req
        .app_data::<web::Data<AppState>>()
        .map_or(DEFAULT_BODY_TIMEOUT, |s| s.body_timeout);
    let (http, mut payload) = req.into_parts();
    let body = web::Payload::from_request(&http, &mut payload).await?;
    let read = body.to_bytes_limited(MAX_BODY_BYTES);
    let refusal = match actix_web::rt::time::timeout(deadline, read).await {
        Ok(Ok(Ok(bytes))) => {
            let req = ServiceRequest::from_parts(http, Payload::from(bytes));
            return Ok(next.call(req).await?.map_into_boxed_body());
        }
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the body did not arrive within {} s", deadline.as_secs()),
        ),
        Ok(Err(_too_large)) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        Ok(Ok(Err(e))) => {
            ApiError::bad_request("invalid_body", format!("the body could not be read: {e}"))
        }
    };
    Ok(ServiceResponse::new(http, refusal.error_response()))
}
