//! The `customers` and `customer_addresses` tables. Functions take the caller's connection
//! so a change, its audit entry and its mail share one transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::validate::{Address, Profile, Registration};
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_country: String,
    pub phone: String,
    pub birth_date: Option<String>,
    pub verified: bool,
    pub active: bool,
    pub created_at: String,
    /// They said no to news and offers by mail (campaigns pass them over).
    pub marketing_opt_out: bool,
}

impl Customer {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// The `customer` object every customer mail template receives.
    pub fn mail_json(&self) -> serde_json::Value {
        serde_json::json!({
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
        })
    }
}

const COLUMNS: &str = "id, email, first_name, last_name, phone_country, phone, birth_date, \
                       verified_at IS NOT NULL, active, created_at, \
                       marketing_opt_out_at IS NOT NULL";

fn customer(r: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(0)?,
        email: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        phone_country: r.get(4)?,
        phone: r.get(5)?,
        birth_date: r.get(6)?,
        verified: r.get(7)?,
        active: r.get(8)?,
        created_at: r.get(9)?,
        marketing_opt_out: r.get(10)?,
    })
}

/// A live (not deleted) customer.
pub fn get(conn: &Connection, id: i64) -> AppResult<Option<Customer>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customers WHERE id = ?1 AND deleted_at IS NULL"
        ))?
        .query_row([id], customer)
        .optional()?)
}

pub fn find_by_email(conn: &Connection, email: &str) -> AppResult<Option<Customer>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customers WHERE email = ?1 AND deleted_at IS NULL"
        ))?
        .query_row([email.trim()], customer)
        .optional()?)
}

pub fn email_taken(conn: &Connection, email: &str) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM customers WHERE email = ?1")?
        .exists([email.trim()])?)
}

/// What login needs: the hash and the lock-out state.
pub struct LoginRow {
    pub id: i64,
    pub password_hash: String,
    pub verified: bool,
    pub active: bool,
    pub locked_until: Option<String>,
}

pub fn find_for_login(conn: &Connection, email: &str) -> AppResult<Option<LoginRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, password_hash, verified_at IS NOT NULL, active, locked_until
             FROM customers WHERE email = ?1 AND deleted_at IS NULL",
        )?
        .query_row([email.trim()], |r| {
            Ok(LoginRow {
                id: r.get(0)?,
                password_hash: r.get(1)?,
                verified: r.get(2)?,
                active: r.get(3)?,
                locked_until: r.get(4)?,
            })
        })
        .optional()?)
}

pub fn password_hash(conn: &Connection, id: i64) -> AppResult<String> {
    Ok(conn.query_row(
        "SELECT password_hash FROM customers WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?)
}

/// Inserts a new, unverified customer (and their first address as the default one).
pub fn insert(conn: &Connection, r: &Registration, password_hash: &str) -> AppResult<i64> {
    if email_taken(conn, &r.email)? {
        return Err(AppError::Conflict(
            "An account with this email address already exists. Log in, or reset your password if you forgot it."
                .into(),
        ));
    }
    let p = &r.profile;
    conn.prepare_cached(
        "INSERT INTO customers (email, password_hash, first_name, last_name, phone_country, phone, birth_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![r.email, password_hash, p.first_name, p.last_name, p.phone_country, p.phone, p.birth_date])?;
    let id = conn.last_insert_rowid();
    if let Some(a) = &r.address {
        add_address(conn, id, a, true)?;
    }
    Ok(id)
}

pub fn update_profile(conn: &Connection, id: i64, p: &Profile) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET first_name = ?2, last_name = ?3, phone_country = ?4, phone = ?5, birth_date = ?6
         WHERE id = ?1 AND deleted_at IS NULL",
        params![id, p.first_name, p.last_name, p.phone_country, p.phone, p.birth_date],
    )?;
    Ok(())
}

pub fn set_email(conn: &Connection, id: i64, email: &str, now: OffsetDateTime) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET email = ?2, verified_at = ?3 WHERE id = ?1 AND deleted_at IS NULL",
        params![id, email, sql_time(now)],
    )?;
    Ok(())
}

pub fn mark_verified(conn: &Connection, id: i64, now: OffsetDateTime) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET verified_at = coalesce(verified_at, ?2) WHERE id = ?1",
        params![id, sql_time(now)],
    )?;
    Ok(())
}

/// A new password also lifts a login lock-out (POLICY: a reset unlocks the account).
pub fn set_password(conn: &Connection, id: i64, hash: &str) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET password_hash = ?2, failed_logins = 0, failed_since = NULL, locked_until = NULL
         WHERE id = ?1",
        params![id, hash],
    )?;
    Ok(())
}

pub fn record_login(conn: &Connection, id: i64, now: OffsetDateTime) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET last_login_at = ?2, failed_logins = 0, failed_since = NULL, locked_until = NULL
         WHERE id = ?1",
        params![id, sql_time(now)],
    )?;
    Ok(())
}

/// Counts a failed login within the window; returns true when it locked the account.
pub fn record_failure(
    conn: &Connection,
    id: i64,
    max_failures: i64,
    window: Duration,
    now: OffsetDateTime,
) -> AppResult<bool> {
    let window_start = sql_time(now - window);
    conn.execute(
        "UPDATE customers SET
            failed_logins = CASE WHEN failed_since IS NULL OR failed_since <= ?2 THEN 1 ELSE failed_logins + 1 END,
            failed_since = CASE WHEN failed_since IS NULL OR failed_since <= ?2 THEN ?3 ELSE failed_since END
         WHERE id = ?1",
        params![id, window_start, sql_time(now)],
    )?;
    let failures: i64 = conn.query_row(
        "SELECT failed_logins FROM customers WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?;
    if failures >= max_failures {
        conn.execute(
            "UPDATE customers SET locked_until = ?2, failed_logins = 0, failed_since = NULL WHERE id = ?1",
            params![id, sql_time(now + window)],
        )?;
        return Ok(true);
    }
    Ok(false)
}

/// Erases what identifies a person and keeps the row, so past orders keep their buyer.
pub fn anonymise(conn: &Connection, id: i64, now: OffsetDateTime) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET email = 'deleted-' || id || '@deleted.invalid', password_hash = '!',
            first_name = 'Deleted', last_name = 'customer', phone_country = '', phone = '',
            birth_date = NULL, verified_at = NULL, active = 0, failed_logins = 0,
            failed_since = NULL, locked_until = NULL, deleted_at = ?2
         WHERE id = ?1 AND deleted_at IS NULL",
        params![id, sql_time(now)],
    )?;
    conn.execute(
        "DELETE FROM customer_addresses WHERE customer_id = ?1",
        [id],
    )?;
    conn.execute("DELETE FROM customer_tokens WHERE customer_id = ?1", [id])?;
    Ok(())
}

// --- Address book ---------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct StoredAddress {
    pub id: i64,
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub is_default: bool,
}

impl From<StoredAddress> for Address {
    fn from(a: StoredAddress) -> Address {
        Address {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postcode: a.postcode,
            country: a.country,
        }
    }
}

/// At most this many addresses per customer, so the book stays a book.
pub const MAX_ADDRESSES: i64 = 20;

pub fn addresses(conn: &Connection, customer_id: i64) -> AppResult<Vec<StoredAddress>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, line1, line2, city, postcode, country, is_default
         FROM customer_addresses WHERE customer_id = ?1 ORDER BY is_default DESC, id",
    )?;
    let rows = stmt.query_map([customer_id], |r| {
        Ok(StoredAddress {
            id: r.get(0)?,
            name: r.get(1)?,
            line1: r.get(2)?,
            line2: r.get(3)?,
            city: r.get(4)?,
            postcode: r.get(5)?,
            country: r.get(6)?,
            is_default: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn address(conn: &Connection, customer_id: i64, id: i64) -> AppResult<StoredAddress> {
    addresses(conn, customer_id)?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::NotFound("There is no such address in your address book.".into()))
}

/// Adds an address; the first one, or one asked to be, becomes the default.
pub fn add_address(
    conn: &Connection,
    customer_id: i64,
    a: &Address,
    make_default: bool,
) -> AppResult<i64> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM customer_addresses WHERE customer_id = ?1",
        [customer_id],
        |r| r.get(0),
    )?;
    if count >= MAX_ADDRESSES {
        return Err(AppError::Conflict(format!(
            "An address book holds at most {MAX_ADDRESSES} addresses; delete one first."
        )));
    }
    if make_default || count == 0 {
        clear_default(conn, customer_id)?;
    }
    conn.prepare_cached(
        "INSERT INTO customer_addresses (customer_id, name, line1, line2, city, postcode, country, is_default)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![customer_id, a.name, a.line1, a.line2, a.city, a.postcode, a.country, make_default || count == 0])?;
    Ok(conn.last_insert_rowid())
}

pub fn update_address(conn: &Connection, customer_id: i64, id: i64, a: &Address) -> AppResult<()> {
    let n = conn.execute(
        "UPDATE customer_addresses SET name = ?3, line1 = ?4, line2 = ?5, city = ?6, postcode = ?7, country = ?8
         WHERE id = ?1 AND customer_id = ?2",
        params![id, customer_id, a.name, a.line1, a.line2, a.city, a.postcode, a.country],
    )?;
    if n == 0 {
        return Err(AppError::NotFound(
            "There is no such address in your address book.".into(),
        ));
    }
    Ok(())
}

fn clear_default(conn: &Connection, customer_id: i64) -> AppResult<()> {
    conn.execute(
        "UPDATE customer_addresses SET is_default = 0 WHERE customer_id = ?1 AND is_default = 1",
        [customer_id],
    )?;
    Ok(())
}

pub fn set_default_address(conn: &Connection, customer_id: i64, id: i64) -> AppResult<()> {
    address(conn, customer_id, id)?;
    clear_default(conn, customer_id)?;
    conn.execute(
        "UPDATE customer_addresses SET is_default = 1 WHERE id = ?1 AND customer_id = ?2",
        params![id, customer_id],
    )?;
    Ok(())
}

/// Deletes an address; when it was the default, the newest remaining one takes over.
pub fn delete_address(conn: &Connection, customer_id: i64, id: i64) -> AppResult<()> {
    let was_default = address(conn, customer_id, id)?.is_default;
    conn.execute(
        "DELETE FROM customer_addresses WHERE id = ?1 AND customer_id = ?2",
        params![id, customer_id],
    )?;
    if was_default {
        conn.execute(
            "UPDATE customer_addresses SET is_default = 1
             WHERE id = (SELECT max(id) FROM customer_addresses WHERE customer_id = ?1)",
            [customer_id],
        )?;
    }
    Ok(())
}

// --- Back office (src/customers) -------------------------------------------------------

/// Staff changed the address: it is unverified until its owner opens the new link.
pub fn set_email_unverified(conn: &Connection, id: i64, email: &str) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET email = ?2, verified_at = NULL WHERE id = ?1 AND deleted_at IS NULL",
        params![id, email],
    )?;
    Ok(())
}

pub fn set_active(conn: &Connection, id: i64, active: bool) -> AppResult<()> {
    conn.execute(
        "UPDATE customers SET active = ?2 WHERE id = ?1 AND deleted_at IS NULL",
        params![id, active],
    )?;
    Ok(())
}

/// A customer created by staff: no password they know yet (`password_hash` is the hash of
/// a random secret nobody keeps); they choose one through the set-password mail.
pub fn insert_by_staff(
    conn: &Connection,
    email: &str,
    p: &Profile,
    password_hash: &str,
) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO customers (email, password_hash, first_name, last_name, phone_country, phone, birth_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![email, password_hash, p.first_name, p.last_name, p.phone_country, p.phone, p.birth_date])?;
    Ok(conn.last_insert_rowid())
}
