//! Settings: typed key/value pairs in the `settings` table (see `keys` for the list).
//! Reads go through a small cache that notices changes made by other processes (the CLI)
//! within a second; writes go through `set`, which validates and audits in the caller's
//! transaction.

pub mod admin;
pub mod keys;

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{AppError, AppResult};

/// Reads one setting, or its default. Unknown keys are a bug, so they panic in tests.
pub fn get(conn: &Connection, name: &str) -> AppResult<String> {
    let key =
        keys::find(name).ok_or_else(|| AppError::internal(format!("unknown setting {name}")))?;
    let v: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(v.unwrap_or_else(|| key.default.to_string()))
}

pub fn get_i64(conn: &Connection, name: &str) -> AppResult<i64> {
    get(conn, name)?
        .parse()
        .map_err(|_| AppError::internal(format!("setting {name} is not a number")))
}

/// Validates and stores a setting; returns the previous value (for the audit entry).
pub fn set(conn: &Connection, name: &str, value: &str) -> AppResult<(String, String)> {
    let key = keys::find(name).ok_or_else(|| {
        AppError::Invalid(format!(
            "There is no setting called '{name}'. `cornershop settings list` shows them all."
        ))
    })?;
    let value = key.validate(value).map_err(AppError::Invalid)?;
    let old = get(conn, name)?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok((old, value))
}

/// Every known setting with its current value; secrets masked.
pub fn list(conn: &Connection) -> AppResult<Vec<(&'static keys::Key, String)>> {
    let mut stored: HashMap<String, String> = HashMap::new();
    let mut stmt = conn.prepare("SELECT key, value FROM settings")?;
    for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (k, v) = row?;
        stored.insert(k, v);
    }
    Ok(keys::KEYS
        .iter()
        .map(|k| {
            let v = stored
                .get(k.name)
                .cloned()
                .unwrap_or_else(|| k.default.to_string());
            (
                k,
                if k.secret && !v.is_empty() {
                    "********".into()
                } else {
                    v
                },
            )
        })
        .collect())
}

/// Internal markers that are not user settings (set-up state and the like).
pub fn get_internal(conn: &Connection, name: &str) -> AppResult<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_internal(conn: &Connection, name: &str, value: &str) -> AppResult<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// The handful of settings every page needs, cached for a second so a busy catalogue
/// does not read them on every request.
pub struct Cache {
    inner: RwLock<Option<(Instant, Shop)>>,
}

#[derive(Clone, Debug)]
pub struct Shop {
    pub name: String,
    pub currency: &'static crate::money::Currency,
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

const CACHE_TTL: Duration = Duration::from_secs(1);

impl Default for Cache {
    fn default() -> Self {
        Cache {
            inner: RwLock::new(None),
        }
    }
}

impl Cache {
    pub fn load(conn: &Connection) -> AppResult<Shop> {
        let currency = get(conn, "shop.currency")?;
        Ok(Shop {
            name: get(conn, "shop.name")?,
            currency: crate::money::Currency::find(&currency)
                .unwrap_or(crate::money::Currency::fallback()),
            trusted_proxies: get(conn, "security.trusted_proxies")?
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect(),
        })
    }

    pub async fn shop(&self, db: &crate::db::Db) -> AppResult<Shop> {
        if let Some((at, shop)) = self
            .inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if at.elapsed() < CACHE_TTL {
                return Ok(shop.clone());
            }
        }
        let shop = db.read(Cache::load).await?;
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), shop.clone()));
        Ok(shop)
    }

    /// The cached values if any, without touching the database (for error pages).
    pub fn peek(&self) -> Option<Shop> {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, s)| s.clone())
    }

    /// Forget the cached values, after a change made in this process.
    pub fn invalidate(&self) {
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
