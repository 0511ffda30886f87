//! Who is signed in: the session cookie, the role check, CSRF-checked forms, and the refusals
//! the console answers with (HTML pages, not problem JSON: a person reads them).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;

use super::page;
use super::session::{tokens_match, Session};
use crate::domain::keys::Permission;
use crate::http::state::AppState;
use crate::service;

/// The session cookie: an opaque random id, never the key.
pub const SESSION_COOKIE: &str = "plusk_console";
/// The sign-in form's CSRF token, before there is a session to hold one.
pub const LOGIN_COOKIE: &str = "plusk_console_login";
/// The name of every form's CSRF field.
pub const CSRF_FIELD: &str = "csrf";

/// The value of a request cookie.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether the browser reached plusk over TLS: directly, or through a trusted proxy that says
/// so. `X-Forwarded-Proto` from anyone else is ignored, since a client could send it.
pub fn over_tls(req: &HttpRequest, state: &AppState) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| state.proxies.trusts(peer.ip()));
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for a console cookie; `None` clears it.
pub fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(v) => format!("{name}={v}; Path=/console; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Why the console will not serve a request, as a page.
#[derive(Debug)]
pub enum Refusal {
    /// No live session: reads go to the sign-in form, writes are refused.
    SignedOut {
        write: bool,
    },
    /// The role may not do this.
    Forbidden(&'static str),
    /// A state-changing form without this session's CSRF token.
    Csrf,
    /// The input is wrong; the message says how.
    BadInput(String),
    NotFound(String),
    /// A service error, shown as its problem's detail.
    Service(crate::http::errors::ApiError),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<crate::http::errors::ApiError> for Refusal {
    fn from(e: crate::http::errors::ApiError) -> Refusal {
        match e.status {
            StatusCode::NOT_FOUND => Refusal::NotFound(e.detail),
            StatusCode::BAD_REQUEST => Refusal::BadInput(e.detail),
            _ => Refusal::Service(e),
        }
    }
}

impl From<crate::domain::Rejection> for Refusal {
    fn from(r: crate::domain::Rejection) -> Refusal {
        crate::http::errors::ApiError::from(r).into()
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::SignedOut { write: false } => StatusCode::SEE_OTHER,
            Refusal::SignedOut { write: true } | Refusal::Forbidden(_) | Refusal::Csrf => {
                StatusCode::FORBIDDEN
            }
            Refusal::BadInput(_) => StatusCode::BAD_REQUEST,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Service(e) => e.status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            Refusal::SignedOut { write: false } => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/console?signed_out=1"))
                    .finish()
            }
            Refusal::SignedOut { write: true } => {
                "Your session has ended. Sign in again, then repeat what you were doing."
                    .to_string()
            }
            Refusal::Forbidden(what) => format!("Your role may not {what}."),
            Refusal::Csrf => "This form is stale or did not come from this console (its \
                               security token is missing or wrong). Nothing was changed; \
                               reload the page and try again."
                .to_string(),
            Refusal::BadInput(m) | Refusal::NotFound(m) => m.clone(),
            Refusal::Service(e) => e.detail.clone(),
        };
        page::message(status, &message)
    }
}

/// A signed-in request.
#[derive(Clone)]
pub struct Console {
    pub session: Session,
    /// The session id, to end it at sign-out.
    pub id: String,
    pub state: web::Data<AppState>,
}

impl Console {
    /// Refuses unless the role grants `permission`; `what` completes "Your role may not …".
    pub fn require(&self, permission: Permission, what: &'static str) -> Result<(), Refusal> {
        if self.session.role.allows(permission) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(what))
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.session.role.allows(permission)
    }

    /// Parses a posted form after checking its CSRF token against this session's.
    pub fn form<T: DeserializeOwned>(&self, body: &Bytes) -> Result<T, Refusal> {
        check_csrf(body, &self.session.csrf)?;
        serde_urlencoded::from_bytes(body).map_err(|e| Refusal::BadInput(e.to_string()))
    }
}

/// Refuses a form whose `csrf` field is missing or is not `expected`.
pub fn check_csrf(body: &Bytes, expected: &str) -> Result<(), Refusal> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| Refusal::Csrf)?;
    let mut tokens = pairs.iter().filter(|(k, _)| k == CSRF_FIELD);
    match (tokens.next(), tokens.next()) {
        (Some((_, token)), None) if tokens_match(token, expected) => Ok(()),
        _ => Err(Refusal::Csrf),
    }
}

impl FromRequest for Console {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Console, Refusal>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let write = req.method() != Method::GET && req.method() != Method::HEAD;
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let id = cookie(req, SESSION_COOKIE);
        Box::pin(async move {
            let signed_out = Refusal::SignedOut { write };
            let (Some(state), Some(id)) = (state, id) else {
                return Err(signed_out);
            };
            let session = state.console.touch(&id).ok_or(signed_out)?;
            // The key may have been revoked since (here, through the CLI or on another
            // instance): its sessions end at their next request.
            let key_id = session.key_id;
            let live = state
                .run(move |conn| service::keys::is_live(conn, key_id))
                .await?;
            if !live {
                state.console.close_key(key_id);
                return Err(Refusal::SignedOut { write });
            }
            Ok(Console { session, id, state })
        })
    }
}
