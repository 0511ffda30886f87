//! API keys: create, list, revoke, authenticate, and the first admin key.

use chrono::{DateTime, Utc};

use super::tx::{outside, Tx};
use super::{Error, Principal, Result};
use crate::db::DbConn;
use crate::domain::global_quota;
use crate::domain::handle::Handle;
use crate::domain::keys::{
    generate_key, hash_key, hashes_match, KeyState, Patch, Quota, Rate, Role,
};
use crate::domain::ledger::{KeyChanged, KEY_CHANGED};
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
    /// Requests a minute this key may make across every plusk instance on the database, kept
    /// in the database; null = none (only the per-instance `rate` applies).
    pub global_per_minute: Option<u32>,
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
fn stored_quota(row: &storage::keys::KeyRow) -> Option<Quota> {
    let per_sec = u32::try_from(row.rate_per_sec?).ok()?;
    let burst = row.rate_burst.and_then(|b| u32::try_from(b).ok());
    Some(Quota { per_sec, burst })
}

/// The quota in force for a key, if it has its own.
fn stored_rate(row: &storage::keys::KeyRow) -> Option<Rate> {
    stored_quota(row)?.rate().ok()
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
        global_per_minute: row.global_per_minute.and_then(|g| u32::try_from(g).ok()),
    })
}

/// What the ledger records of a key row.
fn state(row: &storage::keys::KeyRow) -> KeyState {
    KeyState {
        name: row.name.clone(),
        role: row.role.clone(),
        key_hash: row.key_hash.clone(),
        created_at: from_db(row.created_at),
        revoked_at: row.revoked_at.map(from_db),
        rate_per_sec: row.rate_per_sec,
        rate_burst: row.rate_burst,
        global_per_minute: row.global_per_minute,
    }
}

/// The digest the ledger records of a key row (see [`KeyState::digest`]).
pub fn state_digest(row: &storage::keys::KeyRow) -> String {
    state(row).digest()
}

/// Appends `key.changed` for the key row as it now is.
fn record(tx: &mut Tx<'_>, row: &storage::keys::KeyRow, change: &str) {
    let state = state_digest(row);
    tx.append(time::now(), |_| KeyChanged {
        name: row.name.clone(),
        change: change.to_string(),
        state,
    });
}

/// The live key `name`, after a change; not found if it is not live.
fn live_row(tx: &mut Tx<'_>, name: &str) -> Result<storage::keys::KeyRow> {
    storage::keys::find_by_name(tx.conn()?, name)?
        .filter(|r| r.revoked_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("live key {name}")))
}

/// Creates a key in its own write transaction (the CLI, with no server's writer to use).
pub fn create(conn: &mut DbConn, name: &str, role: Role) -> Result<NewKey> {
    outside(conn, |tx| create_in(tx, name, role))
}

/// Creates a key inside the caller's write transaction (the API: the writer's batch). Names
/// follow the handle rules and are never reused.
pub fn create_in(tx: &mut Tx<'_>, name: &str, role: Role) -> Result<NewKey> {
    let name = Handle::parse("name", name)?;
    insert_new(tx, name.as_str(), role)
}

fn insert_new(tx: &mut Tx<'_>, name: &str, role: Role) -> Result<NewKey> {
    if storage::keys::find_by_name(tx.conn()?, name)?.is_some() {
        return Err(Error::Conflict {
            code: "key_exists",
            detail: format!("a key named {name} already exists (names are never reused)"),
        });
    }
    let key = generate_key();
    let row = storage::keys::insert(
        tx.conn()?,
        name,
        role.as_str(),
        &hash_key(&key),
        time::now(),
    )?;
    record(tx, &row, "created");
    Ok(NewKey {
        info: info(row)?,
        key,
    })
}

/// When the database has no key at all, creates an admin key named `admin` and returns it.
pub fn bootstrap_admin(conn: &mut DbConn) -> Result<Option<NewKey>> {
    outside(conn, |tx| {
        if storage::keys::count(tx.conn()?)? > 0 {
            return Ok(None);
        }
        insert_new(tx, "admin", Role::Admin).map(Some)
    })
}

/// Keys made before plusk recorded keys in the ledger have no entry: when the ledger has no key
/// entry at all, records every key as it is now (`adopted`), once. Returns how many.
pub fn adopt_unrecorded(conn: &mut DbConn) -> Result<usize> {
    outside(conn, |tx| {
        if storage::ledger::has_kind(tx.conn()?, KEY_CHANGED)? {
            return Ok(0);
        }
        let rows = storage::keys::list(tx.conn()?)?;
        for row in &rows {
            record(tx, row, "adopted");
        }
        Ok(rows.len())
    })
}

pub fn list(conn: &mut DbConn) -> Result<Vec<KeyInfo>> {
    storage::keys::list(conn)?.into_iter().map(info).collect()
}

/// One key by name, live or revoked.
pub fn get(conn: &mut DbConn, name: &str) -> Result<KeyInfo> {
    let name = Handle::parse("name", name)?;
    let row = storage::keys::find_by_name(conn, name.as_str())?
        .ok_or_else(|| Error::NotFound(format!("key {name}")))?;
    info(row)
}

/// Revokes the live key called `name`, in its own write transaction (the CLI).
pub fn revoke(conn: &mut DbConn, name: &str) -> Result<()> {
    outside(conn, |tx| revoke_in(tx, name))
}

/// Revokes the live key called `name` inside the caller's write transaction (the API).
pub fn revoke_in(tx: &mut Tx<'_>, name: &str) -> Result<()> {
    let name = Handle::parse("name", name)?;
    if !storage::keys::revoke(tx.conn()?, name.as_str(), time::now())? {
        return Err(Error::NotFound(format!("live key {name}")));
    }
    let row = storage::keys::find_by_name(tx.conn()?, name.as_str())?
        .ok_or_else(|| Error::NotFound(format!("key {name}")))?;
    record(tx, &row, "revoked");
    Ok(())
}

/// Gives the live key `name` its own quota, or with `None` returns it to the server's defaults;
/// in its own write transaction (the CLI).
pub fn set_rate(conn: &mut DbConn, name: &str, rate: Option<Rate>) -> Result<KeyInfo> {
    outside(conn, |tx| set_rate_in(tx, name, rate))
}

/// [`set_rate`] inside the caller's write transaction.
pub fn set_rate_in(tx: &mut Tx<'_>, name: &str, rate: Option<Rate>) -> Result<KeyInfo> {
    let quota = rate.map(|r| Quota {
        per_sec: r.per_sec,
        burst: Some(r.burst),
    });
    store_quota(tx, name, quota)
}

/// A merge patch of a key's quotas (`PATCH /v1/keys/{name}`): absent fields are kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotaPatch {
    pub rate_per_sec: Patch<u32>,
    pub burst: Patch<u32>,
    pub global_per_minute: Patch<u32>,
}

/// Changes the fields of a live key's quotas that the patch names.
pub fn patch_rate_in(tx: &mut Tx<'_>, name: &str, patch: QuotaPatch) -> Result<KeyInfo> {
    let current = live_row(tx, Handle::parse("name", name)?.as_str())?;
    let quota = Quota::patch(stored_quota(&current), patch.rate_per_sec, patch.burst)?;
    let global = match patch.global_per_minute {
        Patch::Keep => None,
        Patch::Clear => Some(None),
        Patch::Set(n) => Some(Some(global_quota::check(n)? as i32)),
    };
    let rate_sent = !matches!(
        (patch.rate_per_sec, patch.burst),
        (Patch::Keep, Patch::Keep)
    );
    if let Some(global) = global {
        let name = Handle::parse("name", name)?;
        storage::keys::set_global(tx.conn()?, name.as_str(), global)?;
        if !rate_sent {
            let row = live_row(tx, name.as_str())?;
            record(tx, &row, "global_set");
            return info(row);
        }
    }
    store_quota(tx, name, quota)
}

/// Counts one request of a key with a global quota of `limit` a minute at `now_micros`, unless
/// the quota is spent; then returns in how many seconds one more request fits.
pub fn count_global(
    conn: &mut DbConn,
    key_id: i32,
    limit: u32,
    now_micros: i64,
) -> Result<Option<u64>> {
    let at = global_quota::Moment::at(now_micros);
    let (previous, current) = storage::key_usage::around(conn, key_id, at.minute)?;
    let room = at.room(limit, previous);
    if current < room && storage::key_usage::count_one(conn, key_id, at.minute, room)?.is_some() {
        return Ok(None);
    }
    Ok(Some(at.retry_after(limit, previous, current.max(room))))
}

fn store_quota(tx: &mut Tx<'_>, name: &str, quota: Option<Quota>) -> Result<KeyInfo> {
    let name = Handle::parse("name", name)?;
    let stored = quota.map(|q| (q.per_sec as i32, q.burst.map(|b| b as i32)));
    if !storage::keys::set_rate(tx.conn()?, name.as_str(), stored)? {
        return Err(Error::NotFound(format!("live key {name}")));
    }
    let row = live_row(tx, name.as_str())?;
    record(tx, &row, "rate_set");
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
        global_per_minute: info.global_per_minute,
    }))
}

/// Whether the key with this id is still live (console sessions check it on every request).
pub fn is_live(conn: &mut DbConn, key_id: i32) -> Result<bool> {
    Ok(storage::keys::is_live(conn, key_id)?)
}
