//! Every route, in one place.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::middleware::from_fn;
use actix_web::{web, FromRequest, Handler, Resource, Responder};
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::auth::admit;
use super::body::{read_within_deadline, MAX_BODY_BYTES};
use super::errors::{method_not_allowed, not_found, path_error};
use super::handlers::{
    classify, directory, endorsements, flags, health, keys, ledger, metrics, reputation,
    solicitations,
};
use super::openapi::ApiDoc;

/// A route under construction that remembers its methods, so that a 405 can name them in `Allow`.
struct Res {
    inner: Resource,
    allow: Vec<&'static str>,
}

fn res(path: &str) -> Res {
    Res {
        inner: web::resource(path),
        allow: Vec::new(),
    }
}

macro_rules! method {
    ($name:ident, $builder:ident, $verb:literal) => {
        fn $name<F, Args>(mut self, handler: F) -> Res
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.allow.push($verb);
            self.inner = self.inner.route(web::$builder().to(handler));
            self
        }
    };
}

impl Res {
    method!(get, get, "GET");
    method!(post, post, "POST");
    method!(put, put, "PUT");
    method!(patch, patch, "PATCH");
    method!(delete, delete, "DELETE");
}

impl HttpServiceFactory for Res {
    fn register(self, config: &mut AppService) {
        let allow = self.allow.join(", ");
        let other = web::to(move || method_not_allowed(allow.clone()));
        self.inner.default_service(other).register(config)
    }
}

/// The metrics listener's one route (`--metrics-bind`): metrics without a key.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(res("/metrics").get(metrics::open));
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(res("/healthz").get(health::healthz))
        .service(res("/readyz").get(health::readyz))
        .service(
            web::scope("/metrics")
                .wrap(from_fn(admit))
                .service(res("").get(metrics::scrape)),
        )
        .service(web::redirect("/docs", "/docs/"))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", ApiDoc::openapi())
                // The default sends the document to validator.swagger.io: /docs never calls out.
                .config(Config::default().validator_url("none")),
        )
        .service(
            web::scope("/v1")
                // The last `wrap` runs first: the key is checked before the body is read.
                .wrap(from_fn(read_within_deadline))
                .wrap(from_fn(admit))
                .service(
                    res("/endorsements")
                        .post(endorsements::create)
                        .get(endorsements::list),
                )
                .service(
                    res("/endorsements/{id}")
                        .get(endorsements::get)
                        .delete(endorsements::revoke),
                )
                .service(res("/ledger").get(ledger::page))
                .service(res("/ledger/verify").get(ledger::verify))
                .service(res("/users/{handle}").get(directory::user))
                .service(res("/topics").get(directory::topics))
                .service(
                    res("/topics/{slug}")
                        .get(reputation::topic)
                        .put(reputation::create_topic),
                )
                .service(
                    res("/topics/{slug}/seeds")
                        .get(reputation::seeds)
                        .put(reputation::set_seeds),
                )
                .service(res("/topics/{slug}/leaderboard").get(reputation::leaderboard))
                .service(res("/users/{handle}/reputation").get(reputation::of_user))
                .service(res("/users/{handle}/reputation/{topic}/explain").get(reputation::explain))
                .service(res("/users/{handle}/reputation/{topic}/history").get(reputation::history))
                .service(res("/reputation/recompute").post(reputation::recompute))
                .service(res("/classify").post(classify::classify))
                .service(
                    res("/solicitations")
                        .post(solicitations::report)
                        .get(solicitations::list),
                )
                .service(res("/solicitations/{id}").get(solicitations::get))
                .service(res("/flags").get(flags::list))
                .service(res("/flags/review").post(flags::review_many))
                .service(res("/flags/{id}").get(flags::get))
                .service(res("/flags/{id}/review").post(flags::review))
                .service(res("/keys").post(keys::create).get(keys::list))
                .service(
                    res("/keys/{name}")
                        .get(keys::get)
                        .patch(keys::patch)
                        .delete(keys::revoke),
                )
                .default_service(web::to(not_found)),
        )
        .configure(super::console::configure)
        .default_service(web::to(not_found));
}
