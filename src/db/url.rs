//! Parsing `DATABASE_URL` into a backend and its connection string.
//!
//! The backend is picked from the scheme here, rather than by trying each backend in turn,
//! so that a PostgreSQL connection error is reported as such instead of SQLite opening a file
//! named like the URL.

use std::fmt;

/// The two supported backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A database location with its backend made explicit.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A full libpq connection URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
    /// A file path (or `:memory:`) for SQLite.
    Sqlite(String),
}

/// Why a `DATABASE_URL` was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DbUrlError {
    #[error("DATABASE_URL is empty")]
    Empty,
    #[error("unsupported database URL scheme `{0}://` (use postgres://, postgresql://, sqlite:// or a file path)")]
    UnsupportedScheme(String),
    #[error("a CA file (PLUSK_DATABASE_CA_FILE) is for PostgreSQL over TLS; SQLite has no connection to secure")]
    CaFileWithSqlite,
    #[error("the CA file is given twice: as PLUSK_DATABASE_CA_FILE and as sslrootcert in DATABASE_URL; keep one")]
    CaFileTwice,
    #[error("a CA file checks the server's certificate, which sslmode={0} never does; use sslmode=verify-full (or verify-ca), or leave sslmode out")]
    CaFileUnverified(String),
}

impl DbUrl {
    /// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a plain path → SQLite.
    pub fn parse(raw: &str) -> Result<DbUrl, DbUrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DbUrlError::Empty);
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(raw.to_string()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            return match path {
                "" => Err(DbUrlError::Empty),
                p => Ok(DbUrl::Sqlite(p.to_string())),
            };
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(DbUrlError::UnsupportedScheme(scheme.to_string()));
        }
        Ok(DbUrl::Sqlite(raw.to_string()))
    }

    /// The URL with the server's certificate checked against `ca_file` (PEM): adds
    /// `sslrootcert`, and `sslmode=verify-full` unless the URL names verify-ca or verify-full.
    /// A CA file with an sslmode that never verifies is refused rather than silently unused.
    pub fn with_ca_file(self, ca_file: Option<&str>) -> Result<DbUrl, DbUrlError> {
        let (url, ca_file) = match (self, ca_file) {
            (url, None) => return Ok(url),
            (DbUrl::Sqlite(_), Some(_)) => return Err(DbUrlError::CaFileWithSqlite),
            (DbUrl::Postgres(url), Some(ca_file)) => (url, ca_file),
        };
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let mut mode = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "sslrootcert" => return Err(DbUrlError::CaFileTwice),
                "sslmode" => mode = Some(value.into_owned()),
                _ => {}
            }
        }
        let mut added = form_urlencoded::Serializer::new(String::new());
        match mode.as_deref() {
            None => {
                added.append_pair("sslmode", "verify-full");
            }
            Some("verify-full" | "verify-ca") => {}
            Some(other) => return Err(DbUrlError::CaFileUnverified(other.to_string())),
        }
        added.append_pair("sslrootcert", ca_file);
        let glue = match url.contains('?') {
            true if url.ends_with('?') || url.ends_with('&') => "",
            true => "&",
            false => "?",
        };
        Ok(DbUrl::Postgres(format!("{url}{glue}{}", added.finish())))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Postgres(_) => Backend::Postgres,
            DbUrl::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// The connection string handed to libpq for `raw`. libpq's default, `sslmode=prefer`, encrypts
/// whenever the server offers TLS, which on loopback protects nothing and costs about a third
/// of plusk's write throughput (docs/SCALING.md): so when the URL names only this machine and
/// neither it nor `PGSSLMODE` (`sslmode_env`) chooses, plusk asks for `sslmode=disable`.
/// Any other host keeps libpq's default.
pub fn libpq_url(raw: &str, sslmode_env: bool) -> std::borrow::Cow<'_, str> {
    let (base, query) = raw.split_once('?').unwrap_or((raw, ""));
    let chosen = form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| matches!(&*k, "sslmode" | "host" | "hostaddr"));
    if sslmode_env || chosen || !names_only_this_machine(base) {
        return raw.into();
    }
    let glue = if raw.contains('?') { "&" } else { "?" };
    format!("{raw}{glue}sslmode=disable").into()
}

/// Whether every host of a `postgres://` URL (before its query) is a loopback address,
/// `localhost`, or left out (a Unix socket).
fn names_only_this_machine(base: &str) -> bool {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hosts.split(',').all(|h| {
        let host = match h.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => h.split(':').next().unwrap_or(""),
        };
        host.is_empty()
            || host.eq_ignore_ascii_case("localhost")
            || host.starts_with("%2F")
            || host.starts_with("%2f")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// Shown in logs and errors: a PostgreSQL password never appears.
impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbUrl::Sqlite(path) => write!(f, "sqlite://{path}"),
            DbUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_backend_from_scheme() {
        assert_eq!(
            DbUrl::parse("sqlite://plusk.db"),
            Ok(DbUrl::Sqlite("plusk.db".into()))
        );
        assert_eq!(
            DbUrl::parse("sqlite:/tmp/x.db"),
            Ok(DbUrl::Sqlite("/tmp/x.db".into()))
        );
        assert_eq!(
            DbUrl::parse("data/plusk.db"),
            Ok(DbUrl::Sqlite("data/plusk.db".into()))
        );
        assert_eq!(
            DbUrl::parse("postgres://u@h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DbUrl::parse("postgresql://u@h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DbUrl::parse("mysql://h/db"),
            Err(DbUrlError::UnsupportedScheme("mysql".into()))
        );
        assert_eq!(DbUrl::parse("  "), Err(DbUrlError::Empty));
    }

    #[test]
    fn a_ca_file_asks_for_a_verified_connection() {
        let pg = |u: &str| DbUrl::parse(u).unwrap();
        assert_eq!(
            pg("postgres://u@db/plusk").with_ca_file(Some("/etc/ca dir/ca.pem")),
            Ok(pg(
                "postgres://u@db/plusk?sslmode=verify-full&sslrootcert=%2Fetc%2Fca+dir%2Fca.pem"
            ))
        );
        assert_eq!(
            pg("postgres://u@db/plusk?sslmode=verify-ca").with_ca_file(Some("ca.pem")),
            Ok(pg(
                "postgres://u@db/plusk?sslmode=verify-ca&sslrootcert=ca.pem"
            ))
        );
        assert_eq!(
            pg("postgres://u@db/plusk?sslmode=require").with_ca_file(Some("ca.pem")),
            Err(DbUrlError::CaFileUnverified("require".into()))
        );
        assert_eq!(
            pg("postgres://u@db/plusk?sslrootcert=x.pem").with_ca_file(Some("ca.pem")),
            Err(DbUrlError::CaFileTwice)
        );
        assert_eq!(
            DbUrl::parse("plusk.db")
                .unwrap()
                .with_ca_file(Some("ca.pem")),
            Err(DbUrlError::CaFileWithSqlite)
        );
        assert_eq!(
            pg("postgres://u@db/p").with_ca_file(None),
            Ok(pg("postgres://u@db/p"))
        );
    }

    #[test]
    fn loopback_connections_skip_tls_unless_asked() {
        let plain = |u: &str| libpq_url(u, false).into_owned();
        assert_eq!(
            plain("postgres://u@127.0.0.1:5432/p"),
            "postgres://u@127.0.0.1:5432/p?sslmode=disable"
        );
        assert_eq!(
            plain("postgres://u:pw@localhost/p?connect_timeout=5"),
            "postgres://u:pw@localhost/p?connect_timeout=5&sslmode=disable"
        );
        assert_eq!(
            plain("postgres://[::1]:5432/p"),
            "postgres://[::1]:5432/p?sslmode=disable"
        );
        assert_eq!(plain("postgres:///p"), "postgres:///p?sslmode=disable");
        // Another host, a choice in the URL or in PGSSLMODE: libpq decides as usual.
        for kept in [
            "postgres://u@db.example.com/p",
            "postgres://u@127.0.0.1,db.example.com/p",
            "postgres://u@127.0.0.1/p?sslmode=require",
            "postgres://u@127.0.0.1/p?host=db.example.com",
        ] {
            assert_eq!(plain(kept), kept);
        }
        assert_eq!(
            libpq_url("postgres://u@127.0.0.1/p", true),
            "postgres://u@127.0.0.1/p"
        );
    }

    #[test]
    fn display_hides_password() {
        let url = DbUrl::parse("postgres://bob:secret@db:5432/plusk").unwrap();
        assert_eq!(url.to_string(), "postgres://bob:***@db:5432/plusk");
    }
}
