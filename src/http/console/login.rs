//! Signing in with an API key, and out again.

use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{
    check_csrf, cookie, over_tls, set_cookie, Console, Refusal, CSRF_FIELD, LOGIN_COOKIE,
    SESSION_COOKIE,
};
use super::page::{respond, shell};
use super::session::random_token;
use crate::domain::keys::{Permission, Role};
use crate::http::ratelimit::Decision;
use crate::http::state::AppState;
use crate::service;

/// Where a role lands after signing in: its main page.
fn landing(role: Role) -> &'static str {
    if role.allows(Permission::Moderate) {
        "/console/flags"
    } else {
        "/console/topics"
    }
}

#[derive(Deserialize)]
pub struct HomeParams {
    signed_out: Option<String>,
}

/// `/console`: the signed-in user's main page, or the sign-in form.
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: Option<Console>,
    params: web::Query<HomeParams>,
) -> HttpResponse {
    if let Some(c) = signed_in {
        return super::page::see_other(landing(c.session.role));
    }
    let note = params
        .signed_out
        .as_ref()
        .map(|_| "You are signed out. Sign in to continue.");
    form_page(&req, &state, StatusCode::OK, note)
}

/// The sign-in form, with a fresh CSRF token in a cookie and in the form (there is no session
/// yet to hold it).
fn form_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    message: Option<&str>,
) -> HttpResponse {
    let token = random_token();
    let body: Markup = html! {
        @if let Some(m) = message {
            p.notice role="alert" { (m) }
        }
        form.signin method="post" action="/console/login" {
            input type="hidden" name=(CSRF_FIELD) value=(token);
            label for="key" { "API key" }
            input #key type="password" name="key" autocomplete="current-password" required autofocus aria-describedby="key-hint";
            p.hint #key-hint { "A moderator, analyst or admin key. The key stays on the server: your browser keeps only a session cookie." }
            button type="submit" { "Sign in" }
        }
    };
    let mut res = respond(status, shell("Sign in", None, "", body));
    let value = set_cookie(LOGIN_COOKIE, Some(&token), over_tls(req, state));
    if let Ok(v) = header::HeaderValue::from_str(&value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct SignIn {
    key: String,
}

/// `POST /console/login`.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> Result<HttpResponse, Refusal> {
    let expected = cookie(&req, LOGIN_COOKIE).ok_or(Refusal::Csrf)?;
    check_csrf(&body, &expected)?;
    let SignIn { key } =
        serde_urlencoded::from_bytes(&body).map_err(|e| Refusal::BadInput(e.to_string()))?;
    // Unknown keys cost a database lookup: they draw from the address's lookup bucket, as on
    // the API.
    let ip = client_ip(&req, &state);
    if let Decision::Denied { .. } = state.limiters.check_lookup(ip) {
        return Ok(form_page(
            &req,
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many sign-in attempts from your address; wait a minute."),
        ));
    }
    let key = key.trim().to_string();
    let principal = state
        .run(move |conn| service::keys::authenticate(conn, &key))
        .await?;
    let Some(p) = principal else {
        return Ok(form_page(
            &req,
            &state,
            StatusCode::UNAUTHORIZED,
            Some("That key is unknown or has been revoked."),
        ));
    };
    if p.role == Role::App {
        return Ok(form_page(
            &req,
            &state,
            StatusCode::FORBIDDEN,
            Some("App keys cannot sign in to the console: it is for moderators, analysts and admins. Sign in with one of their keys."),
        ));
    }
    let id = state.console.open(p.key_id, p.name, p.role);
    let secure = over_tls(&req, &state);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, landing(p.role)))
        .append_header((
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, Some(&id), secure),
        ))
        .append_header((header::SET_COOKIE, set_cookie(LOGIN_COOKIE, None, secure)))
        .finish())
}

fn client_ip(req: &HttpRequest, state: &AppState) -> std::net::IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    state.proxies.client_ip(peer, &hops)
}

/// `POST /console/logout`: ends the session on the server and clears the cookie.
pub async fn sign_out(
    req: HttpRequest,
    console: Console,
    body: Bytes,
) -> Result<HttpResponse, Refusal> {
    check_csrf(&body, &console.session.csrf)?;
    console.state.console.close(&console.id);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console?signed_out=1"))
        .append_header((
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, None, over_tls(&req, &console.state)),
        ))
        .finish())
}
