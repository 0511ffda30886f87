//! Every route, in one place.

use actix_web::middleware::from_fn;
use actix_web::{web, Resource};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::auth::admit;
use super::body::read_within_deadline;
use super::errors::{json_error, method_not_allowed, not_found, path_error, query_error};
use super::handlers::{
    classify, directory, endorsements, flags, health, keys, ledger, reputation, solicitations,
};
use super::openapi::ApiDoc;
use super::MAX_BODY_BYTES;

/// A resource that answers an unsupported method with a 405 problem.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(json_error),
    )
    .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .service(resource("/healthz").route(web::get().to(health::healthz)))
    .service(resource("/readyz").route(web::get().to(health::readyz)))
    .service(web::redirect("/docs", "/docs/"))
    .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()))
    .service(
        web::scope("/v1")
            // The last `wrap` runs first: the key is checked before the body is read.
            .wrap(from_fn(read_within_deadline))
            .wrap(from_fn(admit))
            .service(
                resource("/endorsements")
                    .route(web::post().to(endorsements::create))
                    .route(web::get().to(endorsements::list)),
            )
            .service(
                resource("/endorsements/{id}")
                    .route(web::get().to(endorsements::get))
                    .route(web::delete().to(endorsements::revoke)),
            )
            .service(resource("/ledger").route(web::get().to(ledger::page)))
            .service(resource("/ledger/verify").route(web::get().to(ledger::verify)))
            .service(resource("/users/{handle}").route(web::get().to(directory::user)))
            .service(resource("/topics").route(web::get().to(directory::topics)))
            .service(
                resource("/topics/{slug}")
                    .route(web::get().to(reputation::topic))
                    .route(web::put().to(reputation::create_topic)),
            )
            .service(
                resource("/topics/{slug}/seeds")
                    .route(web::get().to(reputation::seeds))
                    .route(web::put().to(reputation::set_seeds)),
            )
            .service(
                resource("/topics/{slug}/leaderboard")
                    .route(web::get().to(reputation::leaderboard)),
            )
            .service(
                resource("/users/{handle}/reputation").route(web::get().to(reputation::of_user)),
            )
            .service(
                resource("/users/{handle}/reputation/{topic}/explain")
                    .route(web::get().to(reputation::explain)),
            )
            .service(
                resource("/users/{handle}/reputation/{topic}/history")
                    .route(web::get().to(reputation::history)),
            )
            .service(resource("/reputation/recompute").route(web::post().to(reputation::recompute)))
            .service(resource("/classify").route(web::post().to(classify::classify)))
            .service(
                resource("/solicitations")
                    .route(web::post().to(solicitations::report))
                    .route(web::get().to(solicitations::list)),
            )
            .service(resource("/solicitations/{id}").route(web::get().to(solicitations::get)))
            .service(resource("/flags").route(web::get().to(flags::list)))
            .service(resource("/flags/review").route(web::post().to(flags::review_many)))
            .service(resource("/flags/{id}").route(web::get().to(flags::get)))
            .service(resource("/flags/{id}/review").route(web::post().to(flags::review)))
            .service(
                resource("/keys")
                    .route(web::post().to(keys::create))
                    .route(web::get().to(keys::list)),
            )
            .service(
                resource("/keys/{name}")
                    .route(web::patch().to(keys::patch))
                    .route(web::delete().to(keys::revoke)),
            )
            .default_service(web::to(not_found)),
    )
    .configure(super::console::configure)
    .default_service(web::to(not_found));
}
