//! What plusk counts for operators, in the Prometheus text format (`GET /metrics`).
//!
//! One set of metrics per process, registered once: the HTTP layer, the writer, the recompute
//! worker and the pool all report into it. Every label takes its values from a small fixed set
//! (route patterns, methods, status codes, problem codes, statuses, reasons, decisions), never
//! from ids, handles or slugs, so the number of series stays bounded whatever clients send.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    pub refusals: IntCounterVec,
    pub endorsements: IntCounterVec,
    pub flags_raised: IntCounterVec,
    pub reviews: IntCounterVec,
    pub writer_batch: Histogram,
    pub writer_queue: IntGauge,
    pub pool: IntGaugeVec,
    pub pool_wait: Histogram,
    pub recompute_seconds: Histogram,
    pub recompute_topics: IntCounter,
    pub ledger_head: IntGauge,
}

/// Latency buckets from 0.5 ms to 10 s.
const SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics::new().with_known_labels());

/// The process's metrics.
pub fn get() -> &'static Metrics {
    &METRICS
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn histogram(r: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .expect("valid metric");
    r.register(Box::new(h.clone())).expect("registered once");
    h
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

impl Metrics {
    fn new() -> Metrics {
        let r = Registry::new_custom(Some("plusk".into()), None).expect("valid registry");
        // Resident memory, open files, CPU time (Linux; elsewhere nothing is reported).
        let _ = r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));
        let http_seconds = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer a request, by route pattern and method.",
            )
            .buckets(SECONDS.to_vec()),
            &["route", "method"],
        )
        .expect("valid metric");
        r.register(Box::new(http_seconds.clone()))
            .expect("registered once");
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections, by state.",
            ),
            &["state"],
        )
        .expect("valid metric");
        r.register(Box::new(pool.clone())).expect("registered once");
        Metrics {
            http_requests: counter(
                &r,
                "http_requests_total",
                "Requests answered, by route pattern, method and status.",
                &["route", "method", "status"],
            ),
            http_seconds,
            refusals: counter(
                &r,
                "problems_total",
                "Error responses, by problem code (budget, duplicate, cooldown, rate limit, ...).",
                &["code"],
            ),
            endorsements: counter(
                &r,
                "endorsements_written_total",
                "Endorsements committed through the API, by the status they were given.",
                &["status"],
            ),
            flags_raised: counter(
                &r,
                "flags_raised_total",
                "Flags raised by the detectors, by reason.",
                &["reason"],
            ),
            reviews: counter(
                &r,
                "flag_reviews_total",
                "Flags reviewed by moderators, by decision.",
                &["decision"],
            ),
            writer_batch: histogram(
                &r,
                "writer_batch_size",
                "Writes committed together in one writer transaction.",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
            ),
            writer_queue: gauge(&r, "writer_queue_depth", "Writes waiting for the writer."),
            pool,
            pool_wait: histogram(
                &r,
                "db_pool_wait_seconds",
                "Time a request waited for a database connection.",
                SECONDS.to_vec(),
            ),
            recompute_seconds: histogram(
                &r,
                "recompute_duration_seconds",
                "Time a reputation recompute took, end to end.",
                vec![0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0],
            ),
            recompute_topics: counter(
                &r,
                "recompute_topics_total",
                "Topics whose reputation was computed.",
                &[],
            )
            .with_label_values(&[] as &[&str]),
            ledger_head: gauge(&r, "ledger_head_seq", "The ledger's last entry."),
            registry: r,
        }
    }

    /// Series of the counters whose label values are known in advance exist from the start,
    /// at 0: a dashboard or an alert finds them before the first event.
    fn with_known_labels(self) -> Metrics {
        use crate::domain::endorsement::Status;
        for r in crate::domain::flag::Reason::ALL {
            self.flags_raised.with_label_values(&[r.as_str()]);
        }
        for d in ["uphold", "dismiss"] {
            self.reviews.with_label_values(&[d]);
        }
        for s in [Status::Active, Status::Flagged] {
            self.endorsements.with_label_values(&[s.as_str()]);
        }
        self
    }

    /// One answered request. `route` is the matched pattern (`/v1/endorsements/{id}`), never
    /// the raw path; methods outside the usual few count as `other`.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "HEAD" => method,
            _ => "other",
        };
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_seconds
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    }

    /// The pool's size and use, read when metrics are gathered.
    pub fn pool_state(&self, connections: u32, idle: u32) {
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(connections.saturating_sub(idle)));
    }

    /// Everything, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding our own registry into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
