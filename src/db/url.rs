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

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Postgres(_) => Backend::Postgres,
            DbUrl::Sqlite(_) => Backend::Sqlite,
        }
    }
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
    fn display_hides_password() {
        let url = DbUrl::parse("postgres://bob:secret@db:5432/plusk").unwrap();
        assert_eq!(url.to_string(), "postgres://bob:***@db:5432/plusk");
    }
}
