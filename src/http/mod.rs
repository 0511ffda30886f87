//! The HTTP server: routes, authentication, errors on the wire, OpenAPI and the docs page.

pub mod auth;
pub mod errors;
pub mod handlers;
pub mod openapi;
mod routes;
pub mod state;

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

pub use state::AppState;

use crate::db::DbPool;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// Stop gracefully on SIGINT/SIGTERM (off in tests, which run many servers in one process).
    pub handle_signals: bool,
    /// Endorsements per endorser per rolling 24 hours; `None` lifts the budget.
    pub daily_budget: Option<u32>,
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds the listener and builds the server; call [`Application::run`] to serve.
    pub fn build(opts: &ServerOptions, pool: DbPool) -> std::io::Result<Application> {
        let listener = TcpListener::bind(&opts.bind)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            pool,
            daily_budget: opts.daily_budget,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .configure(routes::configure)
        })
        .listen(listener)?;
        if let Some(n) = opts.workers {
            server = server.workers(n);
        }
        if !opts.handle_signals {
            server = server.disable_signals();
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; in-flight requests finish first.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
