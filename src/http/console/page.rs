//! The page shell every console page shares: head, navigation for the role, sign-out form.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use maud::{html, Markup, DOCTYPE};

use super::auth::{Console, CSRF_FIELD};
use crate::domain::keys::Permission;

/// A whole page around `body`, for a signed-in user (or none, on the sign-in page).
pub fn shell(title: &str, who: Option<&Console>, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · plusk console" }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "plusk console" }
                    @if let Some(c) = who {
                        (nav(c, current))
                        div.who {
                            span { (c.session.name) " · " (c.session.role.as_str()) }
                            form method="post" action="/console/logout" {
                                (csrf(c))
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf(c: &Console) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(c.session.csrf); }
}

/// Links to what the role may use, and only that.
fn nav(c: &Console, current: &str) -> Markup {
    let mut links: Vec<(&str, &str)> = Vec::new();
    // Every console role may read the queue; only moderators and admins get its forms.
    links.push(("/console/flags", "Queue"));
    links.push(("/console/reviews", "Reviews"));
    if c.may(Permission::ReadReputation) {
        links.push(("/console/topics", "Topics"));
    }
    if c.may(Permission::ManageKeys) {
        links.push(("/console/keys", "Keys"));
    }
    html! {
        nav aria-label="Console" {
            ul {
                @for (href, label) in links {
                    li {
                        @if href == current {
                            a href=(href) aria-current="page" { (label) }
                        } @else {
                            a href=(href) { (label) }
                        }
                    }
                }
            }
        }
    }
}

/// An HTML response.
pub fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(markup.into_string())
}

/// A page that only says something (a refusal, an error).
pub fn message(status: StatusCode, text: &str) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = html! {
        p.notice role="alert" { (text) }
        p { a href="/console" { "Back to the console" } }
    };
    respond(status, shell(title, None, "", body))
}

pub async fn not_found() -> HttpResponse {
    message(
        StatusCode::NOT_FOUND,
        "There is no such page in the console.",
    )
}

/// A redirect after a successful form post (303, so a reload does not post again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Formats a time for people: UTC, to the minute.
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
