//! The console at `/console`: server-rendered pages for moderators, analysts and admins, signed
//! in with their API key and held by a server-side session (see [`session`]).
//!
//! Each page lives in its own module; they call the same service functions as the API, so a
//! review made here is the same ledger entry as one made over `/v1`.

pub mod admin;
pub mod analyst;
pub mod auth;
mod evidence;
pub mod history;
pub mod login;
mod page;
pub mod queue;
pub mod session;
mod statics;
pub mod svg;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::web;

/// The console's own files only: no inline script, no inline style (SVG is drawn with
/// attributes), forms post only to plusk, and no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Headers of every console response, errors included.
async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_static = req.path().starts_with("/console/static/");
    let mut res = next.call(req).await?.map_into_boxed_body();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        // Pages show what a role may see; no shared cache may keep them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Registers `/console` and everything under it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            // A form must arrive within the API's body deadline too (no slow-drip bodies).
            .wrap(from_fn(crate::http::body::read_within_deadline))
            .wrap(from_fn(headers))
            .route("", web::get().to(login::home))
            .route("/", web::get().to(login::home))
            .route("/login", web::post().to(login::sign_in))
            .route("/logout", web::post().to(login::sign_out))
            .route("/static/{file}", web::get().to(statics::file))
            .route("/flags", web::get().to(queue::page))
            .route("/flags/review", web::post().to(queue::review_group))
            .route("/flags/{id}/review", web::post().to(queue::review_one))
            .route("/reviews", web::get().to(history::page))
            .route("/topics", web::get().to(analyst::topics))
            .route("/topics/{slug}", web::get().to(analyst::topic))
            .route(
                "/topics/{slug}/leaderboard.csv",
                web::get().to(analyst::leaderboard_csv),
            )
            .route("/topics/{slug}/seeds", web::post().to(admin::set_seeds))
            .route("/users/{handle}", web::get().to(analyst::user))
            .route("/keys", web::get().to(admin::keys))
            .route("/keys", web::post().to(admin::create_key))
            .route("/keys/{name}/revoke", web::post().to(admin::revoke_key))
            .route("/keys/{name}/quota", web::post().to(admin::set_quota))
            .default_service(web::to(page::not_found)),
    );
}
