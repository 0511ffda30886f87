//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Ref, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::handlers::{
    classify, directory, endorsements, flags, health, keys, ledger, reputation, solicitations,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "plusk",
        description = "An honest ledger of +K endorsements. Every `/v1` route needs `Authorization: Bearer <key>`. Errors are `application/problem+json` with a stable `code`."
    ),
    paths(
        endorsements::create, endorsements::list, endorsements::get, endorsements::revoke,
        ledger::page, ledger::verify,
        directory::user, directory::topics,
        classify::classify,
        solicitations::report, solicitations::get, solicitations::list,
        flags::list, flags::get, flags::review, flags::review_many,
        keys::create, keys::list, keys::get, keys::patch, keys::revoke,
        reputation::of_user, reputation::leaderboard, reputation::explain, reputation::history,
        reputation::topic, reputation::create_topic, reputation::seeds, reputation::set_seeds, reputation::recompute,
        health::healthz, health::readyz, super::handlers::metrics::scrape,
    ),
    modifiers(&BearerAuth, &SharedResponses),
    tags(
        (name = "endorsements", description = "Give, list and revoke +K endorsements"),
        (name = "ledger", description = "The tamper-evident, hash-chained record of every change"),
        (name = "directory", description = "Users and topics"),
        (name = "keys", description = "API keys (admin)"),
        (name = "classify", description = "Recognising requests for endorsements"),
        (name = "moderation", description = "Flags raised by the begging detectors, and their review"),
        (name = "solicitations", description = "Reported requests for endorsements, kept as evidence"),
        (name = "reputation", description = "Merit-weighted reputation per user and topic (analyst or admin)"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents the answers that middleware and extractors give on any `/v1` operation (and
/// `/metrics`), so that
/// the document lists every status the code really sends without repeating them in each handler:
/// 401, 429 `rate_limited` and 503 `database_unavailable` (the key is looked up in the database)
/// and 400 everywhere; 404 on paths that name something; 408, 413 and 415 wherever a body is
/// read; 507 `storage_full` on operations that write. A handler's own entry for a status, with
/// its more precise description, is kept.
struct SharedResponses;

fn problem(description: &str, retry_after: bool) -> Response {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    let mut res = ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", content);
    if retry_after {
        res = res.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                )
                .description(Some("Seconds to wait before trying again"))
                .build(),
        );
    }
    res.build()
}

fn add_shared(op: &mut Operation, writes: bool, names_a_thing: bool) {
    let mut shared = vec![
        (
            "401",
            problem(
                "`unauthorized`: no `Authorization: Bearer` key, or an unknown or revoked one",
                false,
            ),
        ),
        (
            "429",
            problem(
                "`rate_limited`: too many requests from this key or address; \
                 `global_quota_exhausted`: the key's quota across all instances is spent",
                true,
            ),
        ),
        (
            "503",
            problem("`database_unavailable`: try again shortly", true),
        ),
    ];
    // Every route refuses query parameters it does not take, so even one without inputs can
    // answer 400.
    shared.push((
        "400",
        problem(
            "A malformed path, query or body, or a query parameter the route does not take",
            false,
        ),
    ));
    if names_a_thing {
        shared.push((
            "404",
            problem("`not_found`: nothing of that id or name", false),
        ));
    }
    if writes {
        shared.push((
            "507",
            problem(
                "`storage_full`: the database has no room for this write; reads still work",
                true,
            ),
        ));
    }
    if op.request_body.is_some() {
        shared.extend([
            (
                "408",
                problem("`request_timeout`: the body did not arrive in time", false),
            ),
            (
                "413",
                problem("`payload_too_large`: a body over 64 KiB", false),
            ),
            (
                "415",
                problem("`unsupported_media_type`: a body not sent as JSON", false),
            ),
        ]);
    }
    for (status, response) in shared {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| response.into());
    }
}

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            // `/metrics` on the API listener is admitted like `/v1`: a key, its rate limit.
            if !(path.starts_with("/v1/") || path == "/metrics") {
                continue;
            }
            // A path parameter names a user, topic, endorsement, flag or key.
            let names_a_thing = path.contains('{');
            if let Some(op) = &mut item.get {
                add_shared(op, false, names_a_thing);
            }
            let writes = [
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in writes.into_iter().flatten() {
                add_shared(op, true, names_a_thing);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<&Operation> {
        doc.paths
            .paths
            .values()
            .flat_map(|item| [&item.get, &item.put, &item.post, &item.delete, &item.patch])
            .flatten()
            .collect()
    }

    #[test]
    fn operation_ids_are_unique() {
        // Tools that follow OpenAPI links (schemathesis's stateful tests) find operations by id:
        // with two operations called `revoke`, a link to one led to the other.
        let doc = ApiDoc::openapi();
        let mut ids = std::collections::HashSet::new();
        for op in operations(&doc) {
            let id = op.operation_id.clone().expect("an operationId");
            assert!(ids.insert(id.clone()), "operationId {id} is used twice");
        }
    }

    #[test]
    fn every_v1_operation_documents_the_shared_answers() {
        let doc = ApiDoc::openapi();
        let verify = doc
            .paths
            .get_path_operation("/v1/ledger/verify", utoipa::openapi::HttpMethod::Get)
            .unwrap();
        for status in ["200", "401", "429", "503"] {
            assert!(verify.responses.responses.contains_key(status), "{status}");
        }
        let create = doc
            .paths
            .get_path_operation("/v1/endorsements", utoipa::openapi::HttpMethod::Post)
            .unwrap();
        for status in [
            "201", "400", "401", "403", "408", "409", "413", "415", "422", "429", "503",
        ] {
            assert!(create.responses.responses.contains_key(status), "{status}");
        }
    }
}
