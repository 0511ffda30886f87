//! Property 7, on real data: on Bitcoin Alpha (positive ratings as endorsements in one topic),
//! plusk's score separates benign from fraudulent users (REV2 labels) better than raw in-degree.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::Command;

use serde_json::json;

use crate::both_backends;
use crate::common::{spawn_on, Backend, TestDb};
use crate::reputation::{quiet, recompute};

both_backends!(bitcoin_alpha_auc_beats_in_degree);

/// Raw in-degree's ROC AUC on this data (`../shared/data/README.md`).
const IN_DEGREE_AUC: f64 = 0.833;
/// Pre-trusted users: the first to trade, as EigenTrust takes a network's first members.
const SEEDS: usize = 10;

struct Rating {
    source: i64,
    target: i64,
    time: i64,
}

fn positive_ratings() -> Vec<Rating> {
    let mut out: Vec<Rating> = include_str!("../data/snap/bitcoin-alpha.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<i64> = l.split(',').map(|x| x.trim().parse().unwrap()).collect();
            (f[2] > 0).then_some(Rating {
                source: f[0],
                target: f[1],
                time: f[3],
            })
        })
        .collect();
    // Oldest first, as `plusk import` wants; the day-resolution ties in a fixed, documented order.
    out.sort_by_key(|r| (r.time, r.source, r.target));
    out
}

fn labels() -> HashMap<i64, bool> {
    include_str!("../data/snap/bitcoin-alpha-rev2-labels.csv")
        .lines()
        .map(|l| {
            let (u, y) = l.split_once(',').unwrap();
            (u.trim().parse().unwrap(), y.trim() == "1")
        })
        .collect()
}

/// Mann–Whitney ROC AUC of benign (positive class) against fraudulent, ties counted half.
/// Labelled users without a score score 0.
pub fn auc(score: &HashMap<i64, f64>, labels: &HashMap<i64, bool>) -> f64 {
    let of = |benign: bool| -> Vec<f64> {
        labels
            .iter()
            .filter(|(_, b)| **b == benign)
            .map(|(u, _)| score.get(u).copied().unwrap_or(0.0))
            .collect()
    };
    let (good, bad) = (of(true), of(false));
    let mut wins = 0.0;
    for g in &good {
        for b in &bad {
            wins += if g > b {
                1.0
            } else if g == b {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (good.len() * bad.len()) as f64
}

fn import(db: &TestDb, ratings: &[Rating]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alpha.ndjson");
    let mut f = std::fs::File::create(&path).unwrap();
    for r in ratings {
        let at = chrono::DateTime::from_timestamp(r.time, 0)
            .unwrap()
            .to_rfc3339();
        let line = json!({"endorser": format!("u{}", r.source), "endorsee": format!("u{}", r.target), "topic": "trading", "created_at": at});
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    drop(db.conn()); // `import` needs a database: this makes and migrates it
    let out = Command::new(env!("CARGO_BIN_EXE_plusk"))
        .args([
            "import",
            path.to_str().unwrap(),
            "--no-budget",
            "--batch-size",
            "2000",
        ])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn bitcoin_alpha_auc_beats_in_degree(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let ratings = positive_ratings();
    import(&db, &ratings);
    let app = spawn_on(db, quiet(Default::default()));

    let labels = labels();
    let mut in_degree: HashMap<i64, f64> = HashMap::new();
    for r in &ratings {
        *in_degree.entry(r.target).or_default() += 1.0;
    }
    let mut seen = HashSet::new();
    let mut seeds = Vec::new();
    for r in &ratings {
        for u in [r.source, r.target] {
            if seeds.len() < SEEDS && seen.insert(u) {
                seeds.push(format!("u{u}"));
            }
        }
    }

    let unseeded = scores(&app).await;
    let put = app
        .put(
            "/v1/topics/trading/seeds",
            &app.admin,
            &json!({"seeds": seeds}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let seeded = scores(&app).await;

    let (base, plain, ours) = (
        auc(&in_degree, &labels),
        auc(&unseeded, &labels),
        auc(&seeded, &labels),
    );
    eprintln!("bitcoin-alpha ROC AUC: in-degree {base:.4}, plusk without seeds {plain:.4}, with the {SEEDS} first traders as seeds {ours:.4}");
    assert!((base - IN_DEGREE_AUC).abs() < 5e-4, "in-degree AUC {base}");
    assert!(
        ours > IN_DEGREE_AUC,
        "plusk AUC {ours} does not beat in-degree {base}"
    );
}

/// Recomputes, then reads every user's raw score from the leaderboard.
async fn scores(app: &crate::common::TestApp) -> HashMap<i64, f64> {
    recompute(app).await;
    let mut out = HashMap::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(
                &format!("/v1/topics/trading/leaderboard?limit=1000{cursor}"),
                &app.admin,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        for i in r.json["items"].as_array().unwrap() {
            let user: i64 = i["user"].as_str().unwrap()[1..].parse().unwrap();
            out.insert(user, i["raw"].as_f64().unwrap());
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}
