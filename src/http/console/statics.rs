//! The console's stylesheet and script, compiled into the binary: nothing to install, nothing
//! fetched from elsewhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

pub async fn file(name: web::Path<String>) -> HttpResponse {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return super::page::not_found().await,
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind))
        // Small and versioned with the binary; an hour of caching is plenty.
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
