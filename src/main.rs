//! The `plusk` binary: everything lives in the library; see `plusk --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match plusk::cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("plusk: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
