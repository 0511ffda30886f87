//! The `plusk` binary: everything lives in the library; see `plusk --help`.

use std::process::ExitCode;

/// mimalloc: the request path allocates many small, short-lived objects (JSON, SQL binds,
/// hashes), and this allocator serves them measurably cheaper than glibc's (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match plusk::cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("plusk: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
