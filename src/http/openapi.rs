//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        solicitations::report, solicitations::get,
        flags::list, flags::get, flags::review, flags::review_many,
        keys::create, keys::list, keys::patch, keys::revoke,
        reputation::of_user, reputation::leaderboard, reputation::explain, reputation::history,
        reputation::topic, reputation::seeds, reputation::set_seeds, reputation::recompute,
        health::healthz, health::readyz,
    ),
    modifiers(&BearerAuth),
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

#[cfg(test)]
mod tests {
    use utoipa::openapi::path::Operation;

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
}
