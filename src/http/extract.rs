//! Query strings and JSON bodies read so that a refusal names the parameter or field that was
//! wrong, in the client's terms (serde's own messages name Rust types and struct sizes).

use std::future::{ready, Future, Ready};
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{mime, web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use super::body::MAX_BODY_BYTES;
use super::errors::ApiError;

/// A typed query string. Every route refuses parameters it does not know (each parameter
/// struct says `deny_unknown_fields`; routes that take none use [`NoParams`]).
#[derive(Debug)]
pub struct Query<T>(pub T);

/// The parameters of a route that takes none.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string, naming the parameter a refusal is about.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let detail = describe(&e.path().to_string(), &e.inner().to_string(), Place::Query);
        ApiError::bad_request("invalid_query", detail)
    })
}

/// A typed JSON body (`application/json` or any `+json` type).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = matches!(req.mime_type(), Ok(Some(m))
            if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as application/json",
                ));
            }
            let bytes = bytes.await.map_err(|_| too_large())?;
            parse_json(&bytes).map(Json)
        })
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// Parses a JSON body, naming the field a refusal is about.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return not_json(inner);
        }
        let message = strip_position(&inner.to_string());
        let detail = describe(&e.path().to_string(), &message, Place::Body);
        ApiError::bad_request("invalid_json", detail)
    })?;
    de.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

fn not_json(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request("invalid_json", format!("the body is not valid JSON ({e})"))
}

#[derive(Clone, Copy)]
enum Place {
    Query,
    Body,
}

/// serde_json ends its messages with "at line 1 column 17", which a client does not need.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Turns serde's message into one about the client's parameter or field.
fn describe(path: &str, message: &str, place: Place) -> String {
    let (noun, whole) = match place {
        Place::Query => ("query parameter", "the query string"),
        Place::Body => ("field", "the body"),
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (field, known) = rest.split_once(", ").unwrap_or((rest, ""));
        return match known.strip_prefix("expected one of ") {
            Some(list) => format!("unknown {noun} {field}; known: {list}"),
            None => match known.strip_prefix("expected ") {
                Some(one) => format!("unknown {noun} {field}; known: {one}"),
                None => format!("unknown {noun} {field}; this route takes none"),
            },
        };
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        return format!("{noun} {field} is required");
    }
    if message.contains("expected struct") || message.contains("expected a map") {
        return format!("{whole} must be a JSON object");
    }
    let what = clearer(message);
    if path.is_empty() || path == "." || path == "?" {
        format!("{whole}: {what}")
    } else {
        format!("{noun} `{path}`: {what}")
    }
}

/// The standard library's and serde's phrasing of common type mismatches, said plainly.
pub fn clearer(message: &str) -> String {
    let plain = [
        ("to a i64", "must be a whole number"),
        ("to a i32", "must be a whole number"),
        ("to a u32", "must be a whole number ≥ 0"),
        ("to a u64", "must be a whole number ≥ 0"),
        ("invalid digit found in string", "must be a whole number"),
        ("number too large to fit in target type", "is too large"),
        ("number too small to fit in target type", "is too small"),
        (
            "cannot parse integer from empty string",
            "must not be empty",
        ),
        ("invalid float literal", "must be a number"),
        (
            "provided string was not `true` or `false`",
            "must be true or false",
        ),
    ];
    for (from, to) in plain {
        if message.contains(from) {
            return to.to_string();
        }
    }
    let typed = [
        ("expected u8", "a whole number from 0 to 255"),
        ("expected u16", "a whole number ≥ 0"),
        ("expected u32", "a whole number ≥ 0"),
        ("expected u64", "a whole number ≥ 0"),
        ("expected usize", "a whole number ≥ 0"),
        ("expected i32", "a whole number"),
        ("expected i64", "a whole number"),
        ("expected f64", "a number"),
        ("expected a string", "a string"),
        ("expected a boolean", "true or false"),
    ];
    for (from, to) in typed {
        if let Some(i) = message.find(from) {
            let got = message[..i].trim_end_matches(", ");
            return format!("expected {to} ({got})");
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Params {
        limit: Option<u32>,
        cursor: Option<String>,
    }

    fn query_detail(q: &str) -> String {
        parse_query::<Params>(q).unwrap_err().detail
    }

    #[test]
    fn query_refusals_name_the_parameter() {
        assert_eq!(
            query_detail("limit=abc"),
            "query parameter `limit`: must be a whole number"
        );
        assert_eq!(
            query_detail("limit=-1"),
            "query parameter `limit`: must be a whole number"
        );
        let unknown = query_detail("limt=3");
        assert!(
            unknown.starts_with("unknown query parameter `limt`"),
            "{unknown}"
        );
        assert!(unknown.contains("`limit`"), "{unknown}");
        assert!(parse_query::<NoParams>("x=1")
            .unwrap_err()
            .detail
            .contains("takes none"));
        assert!(parse_query::<NoParams>("").is_ok());
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        endorser: String,
        weight: u32,
    }

    fn body_detail(b: &str) -> String {
        parse_json::<Body>(b.as_bytes()).unwrap_err().detail
    }

    #[test]
    fn body_refusals_name_the_field_in_plain_words() {
        assert_eq!(body_detail("[]"), "the body must be a JSON object");
        assert_eq!(
            body_detail(r#"{"weight":1}"#),
            "field `endorser` is required"
        );
        let d = body_detail(r#"{"endorser":"a","weight":"x"}"#);
        assert_eq!(
            d,
            r#"field `weight`: expected a whole number ≥ 0 (invalid type: string "x")"#
        );
        assert!(body_detail("{").starts_with("the body is not valid JSON"));
        assert!(body_detail(r#"{"endorser":"a","weight":1} x"#)
            .starts_with("the body is not valid JSON"));
    }
}
