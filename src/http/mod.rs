//! The HTTP server: routes, authentication, errors on the wire, OpenAPI and the docs page.

pub mod auth;
pub mod body;
pub mod client_ip;
pub mod console;
pub mod cors;
pub mod errors;
pub mod extract;
pub mod handlers;
pub mod hygiene;
pub mod key_cache;
pub mod negotiate;
pub mod openapi;
pub mod paging;
pub mod ratelimit;
mod routes;
pub mod state;
pub mod verify_gate;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

pub use client_ip::TrustedProxies;
pub use cors::CorsOrigins;
pub use ratelimit::{Limiters, RateSettings};
pub use state::AppState;

use crate::db::DbPool;
use crate::domain::flag::Detection;
use crate::service::reputation::worker::{Schedule, Worker};
use crate::service::writer::Writer;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Where to serve `/metrics` without a key, if anywhere (a private network).
    pub metrics_bind: Option<String>,
    /// Worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// Stop gracefully on SIGINT/SIGTERM (off in tests, which run many servers in one process).
    pub handle_signals: bool,
    /// Endorsements per endorser per rolling 24 hours; `None` lifts the budget.
    pub daily_budget: Option<u32>,
    /// Default request quotas for writes and reads.
    pub rate: RateSettings,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// How often idle rate-limit buckets are dropped.
    pub sweep_every: Duration,
    /// The begging detectors' settings.
    pub detection: Detection,
    /// Reputation parameters and when to recompute.
    pub reputation: Schedule,
    /// Web origins allowed to call the API from a browser.
    pub cors: CorsOrigins,
    /// How long a client may take to send a request body.
    pub body_timeout: Duration,
    /// Who may create topics by using them.
    pub topics: crate::domain::rules::TopicPolicy,
    /// How long a console session may sit unused before it ends.
    pub console_idle: Duration,
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener and its port, when there is one.
    metrics: Option<(Server, u16)>,
    limiters: Arc<Limiters>,
}

/// Binds `addr`, naming it when that fails.
fn listen(addr: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

impl Application {
    /// Binds the listener and builds the server; call [`Application::run`] to serve.
    pub fn build(opts: &ServerOptions, pool: DbPool) -> std::io::Result<Application> {
        let listener = listen(&opts.bind)?;
        let port = listener.local_addr()?.port();
        let metrics_listener = opts.metrics_bind.as_deref().map(listen).transpose()?;
        let limiters = Arc::new(Limiters::new(opts.rate));
        ratelimit::spawn_sweeper(&limiters, opts.sweep_every);
        let writer = Arc::new(Writer::start_with(pool.clone(), opts.detection)?);
        crate::service::sweep::spawn(pool.clone(), &writer, opts.detection)?;
        let reputation = Arc::new(Worker::start(
            pool.clone(),
            opts.reputation,
            writer.started(),
        )?);
        let state = web::Data::new(AppState {
            pool,
            writer,
            keys: Arc::default(),
            detection: opts.detection,
            reputation,
            daily_budget: opts.daily_budget,
            limiters: limiters.clone(),
            proxies: opts.trusted_proxies.clone(),
            cors: opts.cors.clone(),
            body_timeout: opts.body_timeout,
            verify: Arc::default(),
            explanations: Arc::default(),
            topics: opts.topics,
            console: Arc::new(console::session::Sessions::new(opts.console_idle)),
        });
        let metrics = match metrics_listener {
            Some(l) => {
                let port = l.local_addr()?.port();
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(routes::configure_metrics)
                })
                .workers(1)
                .disable_signals()
                .listen(l)?
                .run();
                Some((server, port))
            }
            None => None,
        };
        let mut server = HttpServer::new(move || {
            // The last `wrap` runs first: the tracing span (and its request id) is in place
            // before `hygiene` reads it and logs inside it.
            App::new()
                .wrap(from_fn(hygiene::hygiene))
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
            metrics,
            limiters,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// The rate limiters, to observe their size.
    pub fn limiters(&self) -> Arc<Limiters> {
        self.limiters.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; in-flight requests finish first. The metrics listener stops with
    /// the API's.
    pub async fn run(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let served = self.server.await;
        if let Some(handle) = metrics {
            handle.stop(true).await;
        }
        served
    }
}
