//! Settings: typed key/value pairs in the `settings` table (see `keys` for the list).
//! Reads go through a small cache that notices changes made by other processes (the CLI)
//! within a second; writes go through `set`, which validates in the caller's transaction
//! (the caller audits). Secret keys are stored sealed (see `sealed`): only `get_secret`,
//! given the shop's `Secret`, reads one; everything that shows a setting masks it.

pub mod keys;
pub mod sealed;

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{AppError, AppResult};
use crate::secret::Secret;

/// How a secret's value is shown anywhere (pages, CLI, audit): masked when set.
pub const MASK: &str = "********";

fn known(name: &str) -> AppResult<&'static keys::Key> {
    keys::find(name).ok_or_else(|| AppError::internal(format!("unknown setting {name}")))
}

fn stored(conn: &Connection, key: &keys::Key) -> AppResult<String> {
    // Cached: an order reads a dozen settings, most of them inside its write transaction.
    let v: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key.name], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or_else(|| key.default.to_string()))
}

/// A value as it may be shown: a secret's is masked (and "" when not set).
fn shown(key: &keys::Key, value: &str) -> String {
    if key.secret && !value.is_empty() {
        MASK.into()
    } else {
        value.to_string()
    }
}

/// Reads one setting, or its default. Unknown keys are a bug, and so is reading a secret
/// here (it is stored sealed): use `get_secret`.
pub fn get(conn: &Connection, name: &str) -> AppResult<String> {
    let key = known(name)?;
    if key.secret {
        return Err(AppError::internal(format!(
            "setting {name} is a secret; read it with settings::get_secret"
        )));
    }
    stored(conn, key)
}

/// Reads a secret setting, decrypted with the shop's key; "" when not set. A damaged value
/// (or one sealed under another `secret.key`) is an error that names the setting.
pub fn get_secret(conn: &Connection, secret: &Secret, name: &str) -> AppResult<String> {
    let key = known(name)?;
    if !key.secret {
        return Err(AppError::internal(format!(
            "setting {name} is not a secret; read it with settings::get"
        )));
    }
    sealed::open(secret, name, &stored(conn, key)?)
}

/// One setting as it may be shown to anyone (a secret masked), for `settings get`.
pub fn get_shown(conn: &Connection, name: &str) -> AppResult<String> {
    let key = known(name)?;
    Ok(shown(key, &stored(conn, key)?))
}

/// The shop's currency (setting `shop.currency`).
pub fn currency(conn: &Connection) -> AppResult<&'static crate::money::Currency> {
    let code = get(conn, "shop.currency")?;
    Ok(crate::money::Currency::find(&code).unwrap_or_else(crate::money::Currency::fallback))
}

pub fn get_i64(conn: &Connection, name: &str) -> AppResult<i64> {
    get(conn, name)?
        .parse()
        .map_err(|_| AppError::internal(format!("setting {name} is not a number")))
}

/// Checks a value against its key; returns what would be stored before sealing. A
/// secret is kept exactly as typed (a password may begin or end with a space), but still
/// checked for length and control characters.
pub fn normalise(key: &keys::Key, value: &str) -> Result<String, String> {
    let normal = key.validate(value)?;
    if !key.secret {
        return Ok(normal);
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(format!("{} cannot contain control characters", key.name));
    }
    Ok(value.to_string())
}

/// Validates and stores a setting; a secret is sealed with `secret` first. Returns the
/// previous and the new value as they may be shown (a secret's masked), for the caller's
/// audit entry and messages.
pub fn set(
    conn: &Connection,
    secret: &Secret,
    name: &str,
    value: &str,
) -> AppResult<(String, String)> {
    let key = keys::find(name).ok_or_else(|| {
        AppError::Invalid(format!(
            "There is no setting called '{name}'. `cornershop settings list` shows them all."
        ))
    })?;
    let value = normalise(key, value).map_err(AppError::Invalid)?;
    let old = stored(conn, key)?;
    let to_store = if key.secret {
        sealed::seal(secret, name, &value)
    } else {
        value.clone()
    };
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![name, to_store],
    )?;
    Ok((shown(key, &old), shown(key, &value)))
}

/// How many secret settings are stored in the clear (see `seal_plaintext`).
pub fn plaintext_secrets(conn: &Connection) -> AppResult<usize> {
    let mut n = 0;
    for key in keys::KEYS.iter().filter(|k| k.secret) {
        let value = stored(conn, key)?;
        if !value.is_empty() && !sealed::is_sealed(&value) {
            n += 1;
        }
    }
    Ok(n)
}

/// Seals secret settings still stored in the clear (written by a version before secrets
/// were encrypted, or by hand); run when the data dir is opened. Returns how many.
pub fn seal_plaintext(conn: &Connection, secret: &Secret) -> AppResult<usize> {
    let mut n = 0;
    for key in keys::KEYS.iter().filter(|k| k.secret) {
        let value = stored(conn, key)?;
        if !value.is_empty() && !sealed::is_sealed(&value) {
            conn.execute(
                "UPDATE settings SET value = ?2 WHERE key = ?1",
                params![key.name, sealed::seal(secret, key.name, &value)],
            )?;
            n += 1;
        }
    }
    Ok(n)
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
            (k, shown(k, &v))
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
    /// `api.cors_origins`, already normalised (exact origins, or `*` alone).
    pub cors_origins: Vec<String>,
    /// Shown on every storefront page (settings page "Shop"): the logo's path under
    /// `media/` ("" for none), the address and the contact e-mail and phone.
    pub logo: String,
    pub address: String,
    pub contact_email: String,
    pub contact_phone: String,
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
            cors_origins: get(conn, "api.cors_origins")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            logo: get(conn, "shop.logo")?,
            address: get(conn, "shop.address")?,
            contact_email: get(conn, "shop.contact_email")?,
            contact_phone: get(conn, "shop.contact_phone")?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    const PW: &str = " s3cret pass phrase ";

    fn shop() -> (tempfile::TempDir, Db, Secret) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let secret = Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
        (dir, db, secret)
    }

    fn raw(db: &Db, name: &str) -> String {
        db.read_blocking(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [name], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
    }

    #[test]
    fn a_secret_round_trips_but_the_database_never_holds_it_and_nothing_shows_it() {
        let (_dir, db, secret) = shop();
        let name = "mail.smtp.password";
        let (old, new) = db.write_blocking(|tx| set(tx, &secret, name, PW)).unwrap();
        assert_eq!((old.as_str(), new.as_str()), ("", MASK), "masked for audit");
        let stored = raw(&db, name);
        assert!(stored.starts_with(sealed::PREFIX), "{stored}");
        assert!(!stored.contains("s3cret"), "{stored}");
        let back = db.read_blocking(|c| get_secret(c, &secret, name)).unwrap();
        assert_eq!(back, PW, "kept exactly as typed, spaces included");

        // Every way of showing settings masks it; `get` refuses to hand out the sealed text.
        assert_eq!(db.read_blocking(|c| get_shown(c, name)).unwrap(), MASK);
        let listed = db.read_blocking(list).unwrap();
        let (_, v) = listed.iter().find(|(k, _)| k.name == name).unwrap();
        assert_eq!(v, MASK);
        assert!(db.read_blocking(|c| get(c, name)).is_err());

        // Changing it again: both sides masked; clearing it stores "" again.
        let (old, _) = db
            .write_blocking(|tx| set(tx, &secret, name, "another one"))
            .unwrap();
        assert_eq!(old, MASK);
        db.write_blocking(|tx| set(tx, &secret, name, "")).unwrap();
        assert_eq!(raw(&db, name), "");
        assert_eq!(
            db.read_blocking(|c| get_secret(c, &secret, name)).unwrap(),
            ""
        );
        assert!(db
            .write_blocking(|tx| set(tx, &secret, name, "line\nbreak"))
            .is_err());
    }

    #[test]
    fn a_tampered_or_foreign_secret_is_an_error_that_names_the_setting() {
        let (dir, db, secret) = shop();
        let name = "mail.smtp.password";
        db.write_blocking(|tx| set(tx, &secret, name, PW)).unwrap();
        let other = Secret::load_or_create(&dir.path().join("other.key")).unwrap();
        let err = db
            .read_blocking(|c| get_secret(c, &other, name))
            .unwrap_err()
            .to_string();
        assert!(err.contains(name) && err.contains("set it again"), "{err}");

        let stored = raw(&db, name);
        let swap = if stored.as_bytes()[10] == b'A' {
            'B'
        } else {
            'A'
        };
        let tampered = format!("{}{swap}{}", &stored[..10], &stored[11..]);
        db.write_blocking(|tx| set_internal(tx, name, &tampered))
            .unwrap();
        let err = db
            .read_blocking(|c| get_secret(c, &secret, name))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot be decrypted"), "{err}");
    }

    #[test]
    fn a_secret_left_in_the_clear_is_sealed_when_the_shop_opens() {
        let (_dir, db, secret) = shop();
        let name = "mail.smtp.password";
        db.write_blocking(|tx| set_internal(tx, name, "old-plain"))
            .unwrap();
        assert_eq!(db.read_blocking(plaintext_secrets).unwrap(), 1);
        let n = db.write_blocking(|tx| seal_plaintext(tx, &secret)).unwrap();
        assert_eq!(n, 1);
        assert!(raw(&db, name).starts_with(sealed::PREFIX));
        assert_eq!(
            db.read_blocking(|c| get_secret(c, &secret, name)).unwrap(),
            "old-plain"
        );
        assert_eq!(
            db.write_blocking(|tx| seal_plaintext(tx, &secret)).unwrap(),
            0,
            "sealed once"
        );
        assert_eq!(db.read_blocking(plaintext_secrets).unwrap(), 0);
    }
}
