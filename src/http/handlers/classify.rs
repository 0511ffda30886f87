//! `POST /v1/classify`: does a text ask for endorsements? For apps that warn before posting.

use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::keys::Permission;
use crate::domain::solicitation::{classify as verdict_of, Verdict, MAX_TEXT_CHARS};
use crate::http::auth::Caller;
use crate::http::errors::ApiError;
use crate::http::extract::{Json, NoParams, Query};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyBody {
    /// The text to judge: 1 to 10,000 characters, not blank; all of it is read.
    #[schema(example = "please +K me on writing!", max_length = 10000)]
    pub text: String,
}

/// Judge whether a text solicits endorsements of its writer.
#[utoipa::path(
    post, path = "/v1/classify", tag = "classify",
    request_body = ClassifyBody,
    responses(
        (status = 200, body = Verdict),
    ),
    security(("bearer" = []))
)]
pub async fn classify(
    _: Query<NoParams>,
    caller: Caller,
    body: Json<ClassifyBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    if body.text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "empty_text",
            "text is empty or blank",
        ));
    }
    if body.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request(
            "text_too_long",
            format!("text is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    let text = body.into_inner().text;
    // Classification is CPU work of a few microseconds to a millisecond: done inline.
    Ok(HttpResponse::Ok().json(verdict_of(&text)))
}
