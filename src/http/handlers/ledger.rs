//! `/v1/ledger`: read the chain in order, and verify it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::keys::Permission;
use crate::domain::ledger::{Chain, Entry, KINDS};
use crate::domain::time;
use crate::http::auth::Caller;
use crate::http::errors::{ApiError, Problem};
use crate::http::extract::Query;
use crate::http::paging::{parse_limit, parse_time};
use crate::http::state::AppState;
use crate::service::ledger::{self as svc, Filter, Verdict};

/// One ledger entry as served.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    /// 1, 2, 3, … with no gaps.
    pub seq: i64,
    /// `endorsement.created`, `endorsement.revoked`, …
    pub kind: String,
    /// When it was appended (RFC 3339, UTC).
    pub at: String,
    /// The payload (stored as RFC 8785 canonical JSON).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub prev_hash: String,
    /// SHA-256 over `prev_hash`, a newline and the canonical entry; see the README.
    pub hash: String,
}

impl From<Entry> for LedgerEntry {
    fn from(e: Entry) -> LedgerEntry {
        LedgerEntry {
            seq: e.seq,
            kind: e.kind,
            at: time::format(e.at),
            payload: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerParams {
    /// Entries with `seq` greater than this (default 0).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Only entries of this kind (see the README's list of kinds).
    #[param(
        pattern = "^(endorsement\\.created|endorsement\\.revoked|solicitation\\.recorded|flag\\.raised|flag\\.reviewed|topic\\.seeds_set|topic\\.created|key\\.changed)$"
    )]
    pub kind: Option<String>,
    /// Only entries appended at or after this RFC 3339 instant.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Only entries appended before this RFC 3339 instant.
    #[param(format = DateTime)]
    pub until: Option<String>,
}

impl LedgerParams {
    fn filter(&self) -> Result<Filter, ApiError> {
        if let Some(kind) = &self.kind {
            if !KINDS.contains(&kind.as_str()) {
                return Err(ApiError::bad_request(
                    "invalid_kind",
                    format!("unknown entry kind `{kind}` (one of {})", KINDS.join(", ")),
                ));
            }
        }
        Ok(Filter {
            kind: self.kind.clone(),
            since: parse_time("since", &self.since)?,
            until: parse_time("until", &self.until)?,
        })
    }
}

/// A page of entries in order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerPage {
    pub items: Vec<LedgerEntry>,
    /// Pass as `after` (with the same filters) for the next page; null on the last page.
    pub next_after: Option<i64>,
}

/// Page through the ledger in order.
#[utoipa::path(
    get, path = "/v1/ledger", tag = "ledger",
    params(LedgerParams),
    responses(
        (status = 200, body = LedgerPage),
    ),
    security(("bearer" = []))
)]
pub async fn page(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<LedgerParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let limit = parse_limit(params.limit, 100, 1000)?;
    let after = params.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request(
            "invalid_after",
            "after must be 0 or more",
        ));
    }
    let filter = params.filter()?;
    let mut entries = state
        .run(move |conn| svc::filtered_page(conn, after, limit + 1, &filter))
        .await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_after = entries.last().filter(|_| more).map(|last| last.seq);
    Ok(HttpResponse::Ok().json(LedgerPage {
        items: entries.into_iter().map(LedgerEntry::from).collect(),
        next_after,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// `true`: recompute the whole chain and check every table against it (admin only).
    /// Otherwise only the entries appended since the last verify that found the chain good are
    /// checked (the whole chain the first time).
    pub full: Option<bool>,
}

/// Verify the ledger: by default the entries appended since the last good verify; with
/// `full=true` (admin) the whole chain and every table against it. One verify runs at a time:
/// `429 verify_in_progress` with `Retry-After` while another runs.
#[utoipa::path(
    get, path = "/v1/ledger/verify", tag = "ledger",
    params(VerifyParams),
    responses(
        (status = 200, description = "`{\"ok\":true,\"entries\",\"head\"}` or `{\"ok\":false,\"first_bad_seq\",\"reason\"}`", body = Verdict),
        (status = 403, description = "`full=true` needs an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "another verify is running; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<VerifyParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::Read)?;
    let full = params.full.unwrap_or(false);
    if full {
        caller.require(Permission::Administer)?;
    }
    let gate = state.verify.clone();
    let Some(_running) = gate.try_start() else {
        return Err(ApiError {
            retry_after: Some(VERIFY_RETRY_SECS),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "verify_in_progress",
                "another ledger verify is running; try again shortly",
            )
        });
    };
    let since = if full { None } else { gate.last_good() };
    let (verdict, good) = state
        .run(move |conn| match since {
            Some(from) => svc::verify_since(conn, from),
            None => svc::verify(conn).map(|v| {
                let good = match &v {
                    Verdict::Ok { entries, head, .. } => Some(Chain {
                        seq: *entries,
                        head: head.clone(),
                    }),
                    Verdict::Broken { .. } => None,
                };
                (v, good)
            }),
        })
        .await?;
    // A broken chain is not remembered as good: the next verify starts again from the top.
    gate.set_good(good);
    Ok(HttpResponse::Ok().json(verdict))
}

/// How long a caller turned away by a running verify is asked to wait.
const VERIFY_RETRY_SECS: u64 = 2;
