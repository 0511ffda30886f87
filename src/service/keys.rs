//! API keys: create, list, revoke, authenticate, and the first admin key.

use chrono::{DateTime, Utc};

use super::{Error, Principal, Result};
use crate::db::{write_tx, DbConn};
use crate::domain::handle::Handle;
use crate::domain::keys::{generate_key, hash_key, hashes_match, Rate, Role};
use crate::domain::time::{self, from_db};
use crate::storage;

/// A key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct KeyInfo {
    pub name: String,
    pub role: Role,
    #[serde(with = "crate::domain::time::serde_micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::domain::time::serde_micros_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The key's own request quota (`per_sec` 0 = unlimited); null = the server's defaults.
    pub rate: Option<Rate>,
}

/// A key just created: the only time the key is shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewKey {
    #[serde(flatten)]
    pub info: KeyInfo,
    /// The bearer token. Store it now: plusk keeps only its hash.
    pub key: String,
}

/// The quota stored with a key, if any.
fn stored_rate(row: &storage::keys::KeyRow) -> Option<Rate> {
    let per_sec = u32::try_from(row.rate_per_sec?).ok()?;
    let burst = row.rate_burst.and_then(|b| u32::try_from(b).ok());
    Rate::new(per_sec, burst).ok()
}

fn info(row: storage::keys::KeyRow) -> Result<KeyInfo> {
    let role = row
        .role
        .parse()
        .map_err(|_| Error::Internal(format!("key {} has unknown role {}", row.name, row.role)))?;
    let rate = stored_rate(&row);
    Ok(KeyInfo {
        name: row.name,
        role,
        created_at: from_db(row.created_at),
        revoked_at: row.revoked_at.map(from_db),
        rate,
    })
}

/// Creates a key in its own write transaction (the CLI, with no server's writer to use).
pub fn create(conn: &mut DbConn, name: &str, role: Role) -> Result<NewKey> {
    write_tx(conn, |conn| create_in(conn, name, role))
}

/// Creates a key inside the caller's write transaction (the API: the writer's batch). Names
/// follow the handle rules and are never reused.
pub fn create_in(conn: &mut DbConn, name: &str, role: Role) -> Result<NewKey> {
    let name = Handle::parse("name", name)?;
    insert_new(conn, name.as_str(), role)
}

fn insert_new(conn: &mut DbConn, name: &str, role: Role) -> Result<NewKey> {
    if storage::keys::find_by_name(conn, name)?.is_some() {
        return Err(Error::Conflict {
            code: "key_exists",
            detail: format!("a key named {name} already exists (names are never reused)"),
        });
    }
    let key = generate_key();
    let row = storage::keys::insert(conn, name, role.as_str(), &hash_key(&key), time::now())?;
    Ok(NewKey {
        info: info(row)?,
        key,
    })
}

/// When the database has no key at all, creates an admin key named `admin` and returns it.
pub fn bootstrap_admin(conn: &mut DbConn) -> Result<Option<NewKey>> {
    write_tx(conn, |conn| {
        if storage::keys::count(conn)? > 0 {
            return Ok(None);
        }
        insert_new(conn, "admin", Role::Admin).map(Some)
    })
}

pub fn list(conn: &mut DbConn) -> Result<Vec<KeyInfo>> {
    storage::keys::list(conn)?.into_iter().map(info).collect()
}

/// Revokes the live key called `name`, in its own write transaction (the CLI).
pub fn revoke(conn: &mut DbConn, name: &str) -> Result<()> {
    write_tx(conn, |conn| revoke_in(conn, name))
}

/// Revokes the live key called `name` inside the caller's write transaction (the API).
pub fn revoke_in(conn: &mut DbConn, name: &str) -> Result<()> {
    let name = Handle::parse("name", name)?;
    if storage::keys::revoke(conn, name.as_str(), time::now())? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("live key {name}")))
    }
}

/// Gives the live key `name` its own quota, or with `None` returns it to the server's defaults;
/// in its own write transaction (the CLI).
pub fn set_rate(conn: &mut DbConn, name: &str, rate: Option<Rate>) -> Result<KeyInfo> {
    write_tx(conn, |conn| set_rate_in(conn, name, rate))
}

/// [`set_rate`] inside the caller's write transaction (the API).
pub fn set_rate_in(conn: &mut DbConn, name: &str, rate: Option<Rate>) -> Result<KeyInfo> {
    let name = Handle::parse("name", name)?;
    let stored = rate.map(|r| (r.per_sec as i32, r.burst as i32));
    if !storage::keys::set_rate(conn, name.as_str(), stored)? {
        return Err(Error::NotFound(format!("live key {name}")));
    }
    let row = storage::keys::find_by_name(conn, name.as_str())?
        .ok_or_else(|| Error::NotFound(format!("live key {name}")))?;
    info(row)
}

/// The principal a presented bearer token belongs to, if it is a live key.
pub fn authenticate(conn: &mut DbConn, presented: &str) -> Result<Option<Principal>> {
    let presented_hash = hash_key(presented);
    let Some(row) = storage::keys::find_by_hash(conn, &presented_hash)? else {
        return Ok(None);
    };
    // The lookup is by hash; compare again in constant time so no timing depends on the key.
    if !hashes_match(&row.key_hash, &presented_hash) || row.revoked_at.is_some() {
        return Ok(None);
    }
    let info = info(row.clone())?;
    Ok(Some(Principal {
        key_id: row.id,
        name: info.name,
        role: info.role,
        rate: info.rate,
    }))
}
