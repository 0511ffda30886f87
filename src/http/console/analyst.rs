//! The analyst's pages: topics, a topic's leaderboard (with its CSV), and a user's scores, the
//! explanation of one score and its history.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Console, Refusal};
use super::page::{csrf, respond, shell, when};
use super::svg;
use crate::domain::cursor::RankCursor;
use crate::domain::handle::Handle;
use crate::domain::keys::Permission;
use crate::domain::topic::TopicSlug;
use crate::service::reputation::explain::{Contribution, Explanation};
use crate::service::reputation::{self as rep, Leaderboard};
use crate::service::{self, Error};

/// Leaderboard rows per page.
const PAGE: i64 = 50;
/// Most rows in a CSV download, read a page of 1000 at a time.
const CSV_MAX_ROWS: usize = 100_000;

/// Topics per page of `/console/topics`.
const TOPICS_PAGE: i64 = 100;

/// `GET /console/topics`: topics by slug, a page at a time.
pub async fn topics(c: Console, paging: web::Query<Paging>) -> Result<HttpResponse, Refusal> {
    c.require(Permission::ReadReputation, "read reputation")?;
    let after = paging
        .cursor
        .as_deref()
        .map(crate::domain::cursor::NameCursor::decode)
        .transpose()?;
    let page = c
        .state
        .run(move |conn| service::users::topics(conn, after, TOPICS_PAGE))
        .await?;
    let list = &page.items;
    let body = html! {
        @if list.is_empty() { p { "No topics yet." } }
        div.scroll {
            table {
                caption.sr { "Topics" }
                thead { tr {
                    th scope="col" { "Topic" }
                    th scope="col" { "Active" }
                    th scope="col" { "Held" }
                    th scope="col" { "Voided" }
                    th scope="col" { "Revoked" }
                    th scope="col" { "Since" }
                } }
                tbody {
                    @for t in list {
                        tr {
                            td { a href={"/console/topics/" (t.slug)} { (t.slug) } }
                            td.num { (t.endorsements.active) }
                            td.num { (t.endorsements.flagged) }
                            td.num { (t.endorsements.voided) }
                            td.num { (t.endorsements.revoked) }
                            td { (when(t.created_at)) }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &page.next_cursor {
            nav.paging aria-label="Pages" {
                a href={"/console/topics?cursor=" (cursor)} rel="next" { "Next page →" }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        shell("Topics", Some(&c), "/console/topics", body),
    ))
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    cursor: Option<String>,
}

/// `GET /console/topics/{slug}`: the leaderboard, and for admins the topic's seeds.
pub async fn topic(
    c: Console,
    slug: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, Refusal> {
    c.require(Permission::ReadReputation, "read reputation")?;
    let topic = TopicSlug::parse(&slug)?;
    let after = paging
        .cursor
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(RankCursor::decode)
        .transpose()?;
    let t = topic.clone();
    let board = c
        .state
        .run(move |conn| rep::leaderboard(conn, &t, after, PAGE))
        .await?;
    let seeds = if c.may(Permission::Administer) {
        let t = topic.clone();
        Some(c.state.run(move |conn| rep::seeds(conn, &t)).await?.seeds)
    } else {
        None
    };
    let body = html! {
        p {
            @match board.computed_at {
                Some(at) => { "Scores computed " (when(at)) ". " }
                None => { "Not computed yet. " }
            }
            a.button href={"/console/topics/" (topic) "/leaderboard.csv"} download { "Download CSV" }
        }
        (leaderboard(&board))
        @if let Some(cursor) = &board.next_cursor {
            nav.paging aria-label="Pages" {
                a href={"/console/topics/" (topic) "?cursor=" (cursor)} rel="next" { "Next page →" }
            }
        }
        @if let Some(seeds) = seeds { (seeds_form(&c, &topic, &seeds)) }
    };
    let title = format!("Topic {topic}");
    Ok(respond(
        StatusCode::OK,
        shell(&title, Some(&c), "/console/topics", body),
    ))
}

fn leaderboard(board: &Leaderboard) -> Markup {
    html! {
        @if board.items.is_empty() { p { "No scores in this topic yet." } }
        div.scroll {
            table.board {
                caption.sr { "Leaderboard" }
                thead { tr { th scope="col" { "Rank" } th scope="col" { "User" } th scope="col" { "Score" } th scope="col" { "Percentile" } th scope="col" { "Counted" } th scope="col" { "Discounted" } } }
                tbody {
                    @for r in &board.items {
                        tr {
                            td.num { (r.rank) }
                            td { a href={"/console/users/" (r.user) "?topic=" (board.topic)} { (r.user) } }
                            td { (svg::bar(r.score)) " " span.num { (format!("{:.1}", r.score)) } }
                            td.num { (format!("{:.0}%", r.percentile)) }
                            td.num { (r.counted) }
                            td.num { (r.discounted) }
                        }
                    }
                }
            }
        }
    }
}

fn seeds_form(c: &Console, topic: &TopicSlug, seeds: &[String]) -> Markup {
    html! {
        section.seeds aria-labelledby="seeds-h" {
            h2 #seeds-h { "Seeds (admin)" }
            p { "Score enters the topic only at these pre-trusted users; none means every active user." }
            form method="post" action={"/console/topics/" (topic) "/seeds"} {
                (csrf(c))
                label for="seeds" { "Seed handles, separated by spaces or commas" }
                textarea #seeds name="seeds" rows="3" { (seeds.join(" ")) }
                button type="submit" { "Save seeds" }
            }
        }
    }
}

/// `GET /console/topics/{slug}/leaderboard.csv`: the whole leaderboard as CSV.
pub async fn leaderboard_csv(c: Console, slug: web::Path<String>) -> Result<HttpResponse, Refusal> {
    c.require(Permission::ReadReputation, "read reputation")?;
    let topic = TopicSlug::parse(&slug)?;
    let t = topic.clone();
    let board = c
        .state
        .run(move |conn| {
            let mut all = rep::leaderboard(conn, &t, None, 1000)?;
            while let Some(cursor) = all.next_cursor.take() {
                if all.items.len() >= CSV_MAX_ROWS {
                    break;
                }
                let after = RankCursor::decode(&cursor).map_err(Error::from)?;
                let next = rep::leaderboard(conn, &t, Some(after), 1000)?;
                all.items.extend(next.items);
                all.next_cursor = next.next_cursor;
            }
            Ok(all)
        })
        .await?;
    let mut res = crate::http::handlers::reputation::csv(&board)?;
    let name = format!("attachment; filename=\"leaderboard-{topic}.csv\"");
    if let Ok(v) = header::HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub struct UserParams {
    topic: Option<String>,
}

/// `GET /console/users/{handle}`: scores per topic, and for one topic (the best, unless
/// chosen) the explanation and the history.
pub async fn user(
    c: Console,
    handle: web::Path<String>,
    params: web::Query<UserParams>,
) -> Result<HttpResponse, Refusal> {
    c.require(Permission::ReadReputation, "read reputation")?;
    let handle = Handle::parse("handle", &handle)?;
    let chosen = params
        .topic
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(TopicSlug::parse)
        .transpose()?;
    let h = handle.clone();
    let cache = c.state.explanations.clone();
    let (info, scores, detail) = c
        .state
        .run(move |conn| {
            let info = service::users::get(conn, &h)?;
            let scores = rep::of_user(conn, &h)?;
            let best = scores
                .topics
                .iter()
                .max_by(|a, b| a.score.total_cmp(&b.score))
                .map(|t| TopicSlug::parse(&t.topic))
                .transpose()
                .map_err(Error::from)?;
            let detail = match chosen.or(best) {
                Some(t) => Some(detail_of(conn, &cache, &h, &t)?),
                None => None,
            };
            Ok((info, scores, detail))
        })
        .await?;
    let body = html! {
        p { "Gave " (info.given) " and received " (info.received) " live endorsements; first seen " (when(info.created_at)) "." }
        h2 { "Scores by topic" }
        @if scores.topics.is_empty() { p { "No score in any topic yet." } }
        div.scroll {
            table {
                caption.sr { "Scores by topic" }
                thead { tr { th scope="col" { "Topic" } th scope="col" { "Score" } th scope="col" { "Rank" } th scope="col" { "Percentile" } th scope="col" { "Counted" } th scope="col" { "Discounted" } } }
                tbody {
                    @for t in &scores.topics {
                        tr {
                            td { a href={"/console/users/" (handle) "?topic=" (t.topic)} { (t.topic) } }
                            td { (svg::bar(t.score)) " " span.num { (format!("{:.1}", t.score)) } }
                            td.num { (t.rank) }
                            td.num { (format!("{:.0}%", t.percentile)) }
                            td.num { (t.counted) }
                            td.num { (t.discounted) }
                        }
                    }
                }
            }
        }
        @if let Some((topic, outcome)) = &detail { (detail_section(&handle, topic, outcome)) }
    };
    let title = format!("User {handle}");
    Ok(respond(StatusCode::OK, shell(&title, Some(&c), "", body)))
}

type Detail = Result<(Explanation, rep::History), String>;

/// The explanation and history of one score; a topic without a score for the user is said so
/// on the page rather than refused.
fn detail_of(
    conn: &mut crate::db::DbConn,
    cache: &rep::explain::Explanations,
    h: &Handle,
    t: &TopicSlug,
) -> service::Result<(TopicSlug, Detail)> {
    let page = rep::explain::Page {
        limit: rep::explain::MAX_LISTED,
        after: None,
    };
    let outcome = match rep::explain::explain(conn, cache, h, t, page) {
        Ok(e) => Ok((e, rep::history(conn, h, t)?)),
        Err(Error::NotFound(what)) => Err(format!("No {what} yet.")),
        Err(e) => return Err(e),
    };
    Ok((t.clone(), outcome))
}

fn detail_section(handle: &Handle, topic: &TopicSlug, outcome: &Detail) -> Markup {
    html! {
        section aria-labelledby="explain-h" {
            h2 #explain-h { "Why " (handle) " scores what they do on " (topic) }
            @match outcome {
                Err(message) => p { (message) },
                Ok((e, history)) => {
                    p {
                        "Score " strong { (format!("{:.1}", e.score)) } " (rank " (e.rank) ", raw "
                        (format!("{:.5}", e.raw)) "), computed " (when(e.computed_at)) ". Baseline from teleports: "
                        (format!("{:.5}", e.baseline)) "."
                    }
                    h3 { "Score history" }
                    @let points: Vec<(String, f64)> = history.points.iter().map(|p| (p.computed_at.format("%Y-%m-%d").to_string(), p.score)).collect();
                    (svg::line_chart(&points, &format!("Score of {handle} on {topic} over time: {}", points.iter().map(|(d, s)| format!("{d} {s:.1}")).collect::<Vec<_>>().join(", "))))
                    h3 { "Counted (" (e.counted_total) ")" }
                    (contributions(&e.counted, "Endorsements counted in full"))
                    h3 { "Discounted (" (e.discounted_total) ")" }
                    (contributions(&e.discounted, "Endorsements held by a flag or voided"))
                }
            }
        }
    }
}

fn contributions(rows: &[Contribution], caption: &str) -> Markup {
    html! {
        @if rows.is_empty() { p { "None." } } @else {
            div.scroll {
                table.explain {
                    caption.sr { (caption) }
                    thead { tr { th scope="col" { "Endorser" } th scope="col" { "Their score" } th scope="col" { "Status" } th scope="col" { "Weight" } th scope="col" { "Decay" } th scope="col" { "Share of score" } th scope="col" { "Why discounted" } } }
                    tbody {
                        @for r in rows {
                            tr {
                                td { a href={"/console/users/" (r.endorser)} { (r.endorser) } }
                                td.num { (format!("{:.1}", r.endorser_score)) }
                                td { (r.status.as_str()) }
                                td.num { (format!("{:.2}", r.weight)) }
                                td.num { (format!("{:.2}", r.decay)) }
                                td.num { (format!("{:.1}%", r.share * 100.0)) }
                                td { (r.flag_reasons.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}
