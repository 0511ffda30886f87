//! Content negotiation for the routes that can answer in more than one format.

use actix_web::http::header::{Accept, Header, Quality};
use actix_web::http::StatusCode;
use actix_web::{mime, HttpRequest};

use super::errors::ApiError;

/// A representation a route can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    fn matches(self, m: &mime::Mime) -> bool {
        let (main, sub) = match self {
            Format::Json => (mime::APPLICATION, mime::JSON),
            Format::Csv => (mime::TEXT, mime::CSV),
        };
        m.type_() == mime::STAR
            || (m.type_() == main && (m.subtype() == mime::STAR || m.subtype() == sub))
    }

    fn name(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
        }
    }
}

/// The client's most preferred of `offered` (the first offered wins ties and a missing or
/// unreadable `Accept`), by RFC 9110: q-values weigh, `q=0` refuses, media types compare
/// without regard to case; 406 when nothing offered is acceptable.
pub fn negotiate(req: &HttpRequest, offered: &[Format]) -> Result<Format, ApiError> {
    let default = offered[0];
    if !req.headers().contains_key(actix_web::http::header::ACCEPT) {
        return Ok(default);
    }
    let Ok(accept) = Accept::parse(req) else {
        return Ok(default);
    };
    // Highest q first; a stable sort keeps the client's order among equals, and among the
    // formats one range matches, the order offered.
    let mut ranges: Vec<_> = accept.0.iter().collect();
    ranges.sort_by_key(|r| std::cmp::Reverse(r.quality));
    let refused = |f: Format| {
        ranges.iter().any(|r| {
            r.quality == Quality::ZERO && f.matches(&r.item) && r.item.subtype() != mime::STAR
        })
    };
    for range in ranges.iter().filter(|r| r.quality > Quality::ZERO) {
        if let Some(f) = offered
            .iter()
            .find(|f| f.matches(&range.item) && !refused(**f))
        {
            return Ok(*f);
        }
    }
    let names: Vec<&str> = offered.iter().map(|f| f.name()).collect();
    Err(ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "not_acceptable",
        format!("this route answers in {}", names.join(" or ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn pick(accept: &str) -> Result<Format, u16> {
        let req = TestRequest::default()
            .insert_header(("accept", accept))
            .to_http_request();
        negotiate(&req, &[Format::Json, Format::Csv]).map_err(|e| e.status.as_u16())
    }

    #[test]
    fn q_values_and_case_decide() {
        assert_eq!(pick("text/csv;q=0.5, application/json"), Ok(Format::Json));
        assert_eq!(pick("application/json;q=0.1, text/csv"), Ok(Format::Csv));
        assert_eq!(pick("TEXT/CSV"), Ok(Format::Csv));
        assert_eq!(pick("text/*"), Ok(Format::Csv));
        assert_eq!(pick("*/*"), Ok(Format::Json));
        assert_eq!(pick("*/*, application/json;q=0"), Ok(Format::Csv));
        assert_eq!(pick("text/xml"), Err(406));
        assert_eq!(pick("text/csv;q=0"), Err(406));
    }

    #[test]
    fn no_accept_header_means_the_default() {
        let req = TestRequest::default().to_http_request();
        assert_eq!(
            negotiate(&req, &[Format::Json, Format::Csv]).unwrap(),
            Format::Json
        );
    }
}
