//! One-time links (verify, reset, email change) and API bearer tokens. Only the SHA-256
//! of a token is stored, so a copy of the database opens nothing; a link works once.

use rusqlite::{params, Connection, OptionalExtension};
use time::{Duration, OffsetDateTime};

use crate::auth::api_token;
use crate::auth::session::Kind;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::secret::{hash_token, random_token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
    EmailChange,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
            Purpose::EmailChange => "email_change",
        }
    }

    /// POLICY: verification 24 hours, reset 1 hour.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Verify | Purpose::EmailChange => Duration::hours(24),
            Purpose::Reset => Duration::hours(1),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Purpose::Verify => "verification link",
            Purpose::Reset => "password reset link",
            Purpose::EmailChange => "email change link",
        }
    }
}

/// Creates a link token; earlier unused ones of the same purpose stop working, so only
/// the newest mail's link counts.
pub fn create(
    conn: &Connection,
    customer_id: i64,
    purpose: Purpose,
    new_email: &str,
    now: OffsetDateTime,
) -> AppResult<String> {
    conn.execute(
        "UPDATE customer_tokens SET used_at = ?3
         WHERE customer_id = ?1 AND purpose = ?2 AND used_at IS NULL",
        params![customer_id, purpose.as_str(), sql_time(now)],
    )?;
    let token = random_token();
    conn.execute(
        "INSERT INTO customer_tokens (customer_id, purpose, token_hash, new_email, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            customer_id,
            purpose.as_str(),
            hash_token(&token),
            new_email,
            sql_time(now),
            sql_time(now + purpose.lifetime())
        ],
    )?;
    Ok(token)
}

#[derive(Debug, Clone)]
pub struct Valid {
    pub id: i64,
    pub customer_id: i64,
    pub new_email: String,
}

/// Looks a link up without using it (to show the reset form); the error says what is wrong.
pub fn check(
    conn: &Connection,
    token: &str,
    purpose: Purpose,
    now: OffsetDateTime,
) -> AppResult<Valid> {
    let row: Option<(i64, i64, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT t.id, t.customer_id, t.new_email, t.expires_at, t.used_at
             FROM customer_tokens t JOIN customers c ON c.id = t.customer_id
             WHERE t.token_hash = ?1 AND t.purpose = ?2 AND c.deleted_at IS NULL",
        )?
        .query_row(params![hash_token(token.trim()), purpose.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let what = purpose.what();
    match row {
        None => Err(AppError::NotFound(format!(
            "This {what} is not valid. Check that you opened the whole link from the mail."
        ))),
        Some((_, _, _, _, Some(_))) => Err(AppError::Gone(format!(
            "This {what} has already been used, or a newer one was sent since."
        ))),
        Some((_, _, _, expires, None)) if expires <= sql_time(now) => Err(AppError::Gone(format!(
            "This {what} has expired. Ask for a new one."
        ))),
        Some((id, customer_id, new_email, _, None)) => Ok(Valid {
            id,
            customer_id,
            new_email,
        }),
    }
}

/// Checks a link and marks it used, in the caller's transaction.
pub fn consume(
    conn: &Connection,
    token: &str,
    purpose: Purpose,
    now: OffsetDateTime,
) -> AppResult<Valid> {
    let valid = check(conn, token, purpose, now)?;
    conn.execute(
        "UPDATE customer_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![valid.id, sql_time(now)],
    )?;
    Ok(valid)
}

/// Ends every way in: web sessions except `keep_session` and every API token.
pub fn revoke_all(conn: &Connection, customer_id: i64, keep_session: Option<i64>) -> AppResult<()> {
    conn.execute(
        "DELETE FROM sessions WHERE kind = 'customer' AND user_id = ?1 AND id IS NOT ?2",
        params![customer_id, keep_session],
    )?;
    api_token::revoke_all(conn, Kind::Customer, customer_id)
}
