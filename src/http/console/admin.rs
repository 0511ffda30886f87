//! The admin's pages: API keys (create and show once, revoke, per-key quota) and topic seeds.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Console, Refusal};
use super::page::{csrf, respond, see_other, shell, when};
use crate::domain::handle::Handle;
use crate::domain::keys::{Permission, Rate, Role};
use crate::domain::topic::TopicSlug;
use crate::service::keys::{self as svc, KeyInfo, NewKey};
use crate::service::{self, Principal};

const WHAT: &str = "manage keys";

/// `GET /console/keys`.
pub async fn keys(c: Console) -> Result<HttpResponse, Refusal> {
    c.require(Permission::ManageKeys, WHAT)?;
    keys_page(&c, None).await
}

async fn keys_page(c: &Console, created: Option<NewKey>) -> Result<HttpResponse, Refusal> {
    let list = c.state.run(svc::list).await?;
    let body = html! {
        @if let Some(k) = &created {
            section.created role="status" aria-labelledby="created-h" {
                h2 #created-h { "Key " (k.info.name) " created" }
                p { "Copy it now: it is shown this once, and plusk keeps only its hash." }
                label for="new-key" { "The new " (k.info.role.as_str()) " key" }
                input #new-key readonly value=(k.key);
            }
        }
        (create_form(c))
        h2 { "Keys" }
        div.scroll {
            table.keys {
                caption.sr { "API keys" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Created" } th scope="col" { "Quota" } th scope="col" { "Actions" } } }
                tbody { @for k in &list { (key_row(c, k)) } }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        shell("API keys", Some(c), "/console/keys", body),
    ))
}

fn create_form(c: &Console) -> Markup {
    html! {
        form.create method="post" action="/console/keys" {
            (csrf(c))
            div {
                label for="k-name" { "Name" }
                input #k-name name="name" required pattern="[A-Za-z0-9_.\\-]{1,64}";
            }
            div {
                label for="k-role" { "Role" }
                select #k-role name="role" {
                    @for r in Role::ALL { option value=(r.as_str()) { (r.as_str()) } }
                }
            }
            button type="submit" { "Create key" }
        }
    }
}

fn key_row(c: &Console, k: &KeyInfo) -> Markup {
    let quota = match k.rate {
        None => "server default".to_string(),
        Some(r) if r.is_unlimited() => "unlimited".to_string(),
        Some(r) => format!("{}/s, burst {}", r.per_sec, r.burst),
    };
    html! {
        tr {
            td { (k.name) }
            td { (k.role.as_str()) }
            td { (when(k.created_at)) }
            td { (quota) }
            td {
                @match k.revoked_at {
                    Some(at) => { "revoked " (when(at)) }
                    None => {
                        form.inline method="post" action={"/console/keys/" (k.name) "/quota"} {
                            (csrf(c))
                            label for={"rate-" (k.name)} { "Requests/s (empty: default, 0: unlimited)" }
                            input #{"rate-" (k.name)} name="rate_per_sec" inputmode="numeric" size="6";
                            label for={"burst-" (k.name)} { "Burst" }
                            input #{"burst-" (k.name)} name="burst" inputmode="numeric" size="6";
                            button type="submit" { "Set quota" }
                        }
                        form.inline method="post" action={"/console/keys/" (k.name) "/revoke"} {
                            (csrf(c))
                            button.danger type="submit" aria-label={"Revoke " (k.name)} { "Revoke" }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    name: String,
    role: Role,
}

/// `POST /console/keys`: creates a key and shows it, once, on the page it answers with.
pub async fn create_key(c: Console, body: Bytes) -> Result<HttpResponse, Refusal> {
    let CreateForm { name, role } = c.form(&body)?;
    c.require(Permission::ManageKeys, WHAT)?;
    let created = c
        .state
        .write(move |tx| svc::create_in(tx, &name, role))
        .await?;
    keys_page(&c, Some(created)).await
}

/// `POST /console/keys/{name}/revoke`.
pub async fn revoke_key(
    c: Console,
    name: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, Refusal> {
    c.form::<Empty>(&body)?;
    c.require(Permission::ManageKeys, WHAT)?;
    let name = name.into_inner();
    c.state.write(move |tx| svc::revoke_in(tx, &name)).await?;
    c.state.keys.clear();
    Ok(see_other("/console/keys"))
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
struct Empty {}

#[derive(Debug, Deserialize)]
struct QuotaForm {
    #[serde(default)]
    rate_per_sec: String,
    #[serde(default)]
    burst: String,
}

fn number(field: &str, raw: &str) -> Result<Option<u32>, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| Refusal::BadInput(format!("{field} must be a whole number, not {raw:?}")))
}

/// `POST /console/keys/{name}/quota`: an empty rate returns the key to the server's defaults.
pub async fn set_quota(
    c: Console,
    name: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, Refusal> {
    let form: QuotaForm = c.form(&body)?;
    c.require(Permission::ManageKeys, WHAT)?;
    let burst = number("burst", &form.burst)?;
    let rate = number("rate", &form.rate_per_sec)?
        .map(|r| Rate::new(r, burst))
        .transpose()?;
    let name = name.into_inner();
    c.state
        .write(move |tx| svc::set_rate_in(tx, &name, rate))
        .await?;
    c.state.keys.clear();
    Ok(see_other("/console/keys"))
}

#[derive(Debug, Deserialize)]
struct SeedsForm {
    #[serde(default)]
    seeds: String,
}

/// `POST /console/topics/{slug}/seeds`: replaces the topic's seeds (recorded in the ledger).
pub async fn set_seeds(
    c: Console,
    slug: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, Refusal> {
    let form: SeedsForm = c.form(&body)?;
    c.require(Permission::Administer, "set seeds")?;
    let topic = TopicSlug::parse(&slug)?;
    let seeds = form
        .seeds
        .split(|ch: char| ch == ',' || ch.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|h| Handle::parse("seeds", h))
        .collect::<Result<Vec<_>, _>>()?;
    if seeds.len() > service::reputation::MAX_SEEDS {
        return Err(Refusal::BadInput(format!(
            "at most {} seeds",
            service::reputation::MAX_SEEDS
        )));
    }
    let by = Principal {
        key_id: c.session.key_id,
        name: c.session.name.clone(),
        role: c.session.role,
        rate: None,
        global_per_minute: None,
    };
    let t = topic.clone();
    c.state
        .write(move |tx| service::reputation::set_seeds(tx, &t, &seeds, &by))
        .await?;
    Ok(see_other(&format!("/console/topics/{topic}")))
}
