//! `/console/reviews`: the latest reviews, who decided and when.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::html;

use super::auth::{Console, Refusal};
use super::page::{respond, shell, when};
use crate::domain::keys::Permission;
use crate::service;

/// Reviews shown; older ones are in the ledger (`flag.reviewed`).
const SHOWN: i64 = 200;

pub async fn page(c: Console) -> Result<HttpResponse, Refusal> {
    c.require(Permission::Read, "read reviews")?;
    let rows = c
        .state
        .run(|conn| service::queue::history(conn, SHOWN))
        .await?;
    let body = html! {
        p { "The latest " (SHOWN) " reviews, newest first. Every review is also a " code { "flag.reviewed" } " entry in the ledger." }
        div.scroll {
            table.history {
                caption.sr { "Reviews" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Decision" } th scope="col" { "Flag" } th scope="col" { "Endorsement" } th scope="col" { "Note" } } }
                tbody {
                    @for (f, note) in &rows {
                        tr {
                            td { (f.reviewed_at.map(when).unwrap_or_default()) }
                            td { (f.reviewed_by.as_deref().unwrap_or("?")) }
                            td { (f.status.as_str()) }
                            td { "#" (f.id) " " (f.reason.as_str()) }
                            td { (f.endorser) " → " (f.endorsee) " on " (f.topic) }
                            td { (note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() { p { "No reviews yet." } }
    };
    Ok(respond(
        StatusCode::OK,
        shell("Reviews", Some(&c), "/console/reviews", body),
    ))
}
