//! The path parameters of the routes, each documented once for the OpenAPI description.

use utoipa::IntoParams;

/// A route under `/users/{handle}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct HandlePath {
    /// User handle (case-insensitive).
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    handle: String,
}

/// A route under `/topics/{slug}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct SlugPath {
    /// Topic slug (normalised as topics are: case, spaces and dashes).
    #[param(pattern = "^[A-Za-z0-9 -]{1,64}$")]
    slug: String,
}

/// A route under `/users/{handle}/reputation/{topic}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct HandleTopicPath {
    /// User handle (case-insensitive).
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    handle: String,
    /// Topic slug.
    #[param(pattern = "^[A-Za-z0-9 -]{1,64}$")]
    topic: String,
}

/// A route under `/keys/{name}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct KeyPath {
    /// Key name.
    #[param(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    name: String,
}

/// A route under `/endorsements/{id}`, `/flags/{id}` or `/solicitations/{id}`: the id the
/// ledger entry that recorded it has as its seq.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct IdPath {
    /// Id (the seq of the ledger entry that recorded it).
    id: i64,
}
