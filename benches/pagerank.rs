//! The core iteration of the reputation score on a synthetic power-law topic: building the
//! compact graph, and ranking it. `cargo bench --bench pagerank`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plusk::domain::reputation::{rank, Edge, Params, TopicGraph};

/// A deterministic topic: `users` users, `edges` endorsements, endorsees drawn with a power-law
/// popularity (a few users receive most), endorsers uniformly.
fn topic(users: i32, edges: usize) -> Vec<Edge> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        // xorshift64*: fast, fixed, good enough to spread endorsements.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    (0..edges)
        .map(|_| {
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            // Inverse CDF of a Pareto tail: low ids are popular.
            let endorsee = ((users as f64) * u.powf(2.5)) as i32;
            let mut endorser = (next() % users as u64) as i32;
            if endorser == endorsee {
                endorser = (endorser + 1) % users;
            }
            Edge {
                endorser,
                endorsee,
                weight: 1.0,
                full: 1.0,
                held: false,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("reputation");
    group.sample_size(10);
    // The last: as many users as bench/reputation_incremental.sh's topic scores (about two
    // endorsements each), where the passes over every user weigh as much as the pull.
    for (users, edges) in [
        (10_000, 100_000),
        (100_000, 1_000_000),
        (765_000, 1_500_000),
    ] {
        let input = topic(users, edges);
        let graph = TopicGraph::build(&input, &[], &[], users);
        let params = Params::default();
        let iterations = rank(&graph, &params).iterations;
        group.throughput(Throughput::Elements((edges * iterations as usize) as u64));
        group.bench_function(format!("rank/{edges}-edges/{iterations}-iterations"), |b| {
            b.iter(|| rank(&graph, &params))
        });
        group.throughput(Throughput::Elements(edges as u64));
        group.bench_function(format!("build/{edges}-edges"), |b| {
            b.iter(|| TopicGraph::build(&input, &[], &[], users))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
