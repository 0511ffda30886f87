//! The moderator's queue at `/console/flags`: flags with their evidence, filters, paging, and a
//! review form on each row (plus one for the row's whole pattern).

use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Console, Refusal};
use super::evidence;
use super::page::{csrf, respond, see_other, shell, when};
use crate::domain::flag::{Decision, FlagStatus};
use crate::domain::keys::Permission;
use crate::http::handlers::flags::{check_note, encode_cursor, FlagParams, MAX_BULK};
use crate::service::queue::Item;
use crate::service::{self, Principal};

/// Rows per page.
const PAGE: i64 = 20;
const REASONS: [&str; 6] = [
    "solicited",
    "begging_note",
    "reciprocal",
    "ring",
    "burst",
    "lockstep",
];

/// The queue's filters as the filter form sends them: an empty field means "any".
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    status: Option<String>,
    reason: Option<String>,
    topic: Option<String>,
    user: Option<String>,
    cursor: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Filters {
    fn params(&self) -> FlagParams {
        FlagParams {
            status: given(&self.status),
            reason: given(&self.reason),
            topic: given(&self.topic),
            user: given(&self.user),
            cursor: given(&self.cursor),
            limit: Some(PAGE),
            ..Default::default()
        }
    }

    /// The query string of these filters, without the cursor.
    fn query(&self) -> String {
        let pairs: Vec<(&str, String)> = [
            ("status", given(&self.status)),
            ("reason", given(&self.reason)),
            ("topic", given(&self.topic)),
            ("user", given(&self.user)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// `GET /console/flags`.
pub async fn page(c: Console, filters: web::Query<Filters>) -> Result<HttpResponse, Refusal> {
    c.require(Permission::Read, "read the queue")?;
    let filters = filters.into_inner();
    let q = filters.params().query()?;
    // The query asks for one more than a page, to know whether another follows.
    let limit = usize::try_from(q.limit - 1).unwrap_or(0);
    let mut items = c
        .state
        .run(move |conn| service::queue::page(conn, &q))
        .await?;
    let next = (items.len() > limit)
        .then(|| {
            items.truncate(limit);
            items.last().map(|i| encode_cursor(&i.flag))
        })
        .flatten();
    let here = format!("/console/flags?{}", filters.query());
    let body = html! {
        (filter_form(&filters))
        p.count aria-live="polite" { (items.len()) " flag(s) on this page." @if c.may(Permission::Moderate) { " Keys: j/k move, u uphold, d dismiss, n note." } }
        @if items.is_empty() { p { "Nothing to review with these filters." } }
        ol.queue {
            @for item in &items { li { (row(&c, item, &here)) } }
        }
        @if let Some(cursor) = next {
            nav.paging aria-label="Pages" {
                a href={(here) "&cursor=" (cursor)} rel="next" { "Next page →" }
            }
        }
    };
    Ok(respond(
        actix_web::http::StatusCode::OK,
        shell("Moderation queue", Some(&c), "/console/flags", body),
    ))
}

fn filter_form(f: &Filters) -> Markup {
    let status = given(&f.status).unwrap_or_else(|| "open".into());
    let reason = given(&f.reason).unwrap_or_default();
    html! {
        form.filters method="get" action="/console/flags" {
            div {
                label for="f-status" { "Status" }
                select #f-status name="status" {
                    @for s in ["open", "upheld", "dismissed", "all"] {
                        option value=(s) selected[s == status] { (s) }
                    }
                }
            }
            div {
                label for="f-reason" { "Reason" }
                select #f-reason name="reason" {
                    option value="" selected[reason.is_empty()] { "any" }
                    @for r in REASONS { option value=(r) selected[r == reason] { (r) } }
                }
            }
            div {
                label for="f-topic" { "Topic" }
                input #f-topic name="topic" value=(given(&f.topic).unwrap_or_default());
            }
            div {
                label for="f-user" { "User" }
                input #f-user name="user" value=(given(&f.user).unwrap_or_default());
            }
            button type="submit" { "Filter" }
        }
    }
}

fn row(c: &Console, item: &Item, back: &str) -> Markup {
    let f = &item.flag;
    let id = f.id;
    html! {
        article.flag #{"flag-" (id)} tabindex="-1" data-flag=(id) aria-labelledby={"flag-" (id) "-title"} {
            h2 #{"flag-" (id) "-title"} {
                (user_link(c, &f.endorser)) " endorsed " (user_link(c, &f.endorsee))
                " on " a href={"/console/flags?topic=" (f.topic)} { (f.topic) }
            }
            p.meta {
                span.reason { (f.reason.as_str()) }
                " · score " strong { (format!("{:.2}", f.score)) }
                " · endorsed " time { (when(item.endorsed_at)) }
                " · flag #" (id) " · " (f.status.as_str())
            }
            div.evidence { (evidence::show(item)) }
            @if f.status == FlagStatus::Open {
                @if c.may(Permission::Moderate) {
                    (review_form(c, item, back))
                }
            } @else {
                p.decided {
                    (f.status.as_str()) " by " (f.reviewed_by.as_deref().unwrap_or("?"))
                    @if let Some(at) = f.reviewed_at { " at " (when(at)) }
                    @if let Some(note) = &item.review_note { ": “" (note) "”" }
                }
            }
        }
    }
}

fn user_link(c: &Console, handle: &str) -> Markup {
    if c.may(Permission::ReadReputation) {
        html! { a href={"/console/users/" (handle)} { (handle) } }
    } else {
        html! { a href={"/console/flags?user=" (handle)} { (handle) } }
    }
}

fn review_form(c: &Console, item: &Item, back: &str) -> Markup {
    let id = item.flag.id;
    let group = &item.group_open;
    html! {
        form.review method="post" action={"/console/flags/" (id) "/review"} {
            (csrf(c))
            input type="hidden" name="back" value=(back);
            label for={"note-" (id)} { "Note (optional)" }
            input #{"note-" (id)} .note name="note" maxlength="2000";
            button.uphold type="submit" name="decision" value="uphold" { "Uphold" }
            button.dismiss type="submit" name="decision" value="dismiss" { "Dismiss" }
        }
        @if group.len() > 1 {
            form.review.bulk method="post" action="/console/flags/review" {
                (csrf(c))
                input type="hidden" name="back" value=(back);
                input type="hidden" name="ids" value=(group.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
                label for={"bulk-note-" (id)} { "Note for the whole " (item.flag.reason.as_str()) " (" (group.len()) " open flags)" }
                input #{"bulk-note-" (id)} name="note" maxlength="2000";
                button type="submit" name="decision" value="uphold" { "Uphold all " (group.len()) }
                button type="submit" name="decision" value="dismiss" { "Dismiss all " (group.len()) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    decision: Decision,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    back: Option<String>,
    /// Comma-separated flag ids (bulk review only).
    #[serde(default)]
    ids: Option<String>,
}

impl ReviewForm {
    fn note(&self) -> Result<Option<String>, Refusal> {
        let note = given(&self.note);
        check_note(&note)?;
        Ok(note)
    }

    /// Where to go after the review: back to the queue page it came from.
    fn back(&self) -> String {
        self.back
            .as_deref()
            .filter(|b| b.starts_with("/console/flags") && !b.contains("//"))
            .unwrap_or("/console/flags")
            .to_string()
    }
}

fn principal(c: &Console) -> Principal {
    Principal {
        key_id: c.session.key_id,
        name: c.session.name.clone(),
        role: c.session.role,
        rate: None,
        global_per_minute: None,
    }
}

/// `POST /console/flags/{id}/review`: the same review as `POST /v1/flags/{id}/review`.
pub async fn review_one(
    c: Console,
    id: web::Path<i64>,
    body: Bytes,
) -> Result<HttpResponse, Refusal> {
    let form: ReviewForm = c.form(&body)?;
    c.require(Permission::Moderate, "review flags")?;
    let (id, note, by) = (id.into_inner(), form.note()?, principal(&c));
    let (decision, detection) = (form.decision, c.state.detection);
    c.state
        .write(move |tx| service::flags::review(tx, id, decision, note, &by, &detection))
        .await?;
    Ok(see_other(&form.back()))
}

/// `POST /console/flags/review`: one decision for every open flag of a pattern, all or none.
pub async fn review_group(c: Console, body: Bytes) -> Result<HttpResponse, Refusal> {
    let form: ReviewForm = c.form(&body)?;
    c.require(Permission::Moderate, "review flags")?;
    let mut ids = form
        .ids
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Refusal::BadInput("ids must be flag numbers separated by commas".into()))?;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(Refusal::BadInput(format!(
            "give 1 to {MAX_BULK} flags to review together"
        )));
    }
    let (note, by) = (form.note()?, principal(&c));
    let (decision, detection) = (form.decision, c.state.detection);
    c.state
        .write(move |tx| service::flags::review_all(tx, &ids, decision, note, &by, &detection))
        .await?;
    Ok(see_other(&form.back()))
}

#[cfg(test)]
mod tests {
    /// The reasons listed in the filter are the domain's names.
    #[test]
    fn reasons_are_the_domains() {
        for r in super::REASONS {
            assert!(crate::domain::flag::Reason::parse(r).is_some(), "{r}");
        }
    }
}
