//! Server-side sessions. The cookie holds a random token; the table holds its SHA-256.
//! Expiry slides on use (written at most once a minute) up to an absolute limit.

use rocket::http::{Cookie, CookieJar, SameSite};
use rusqlite::{params, Connection, OptionalExtension};
use time::{Duration, OffsetDateTime};

use crate::clock::sql_time;
use crate::error::AppResult;
use crate::secret::{hash_token, random_token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Staff,
    Customer,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Staff => "staff",
            Kind::Customer => "customer",
        }
    }

    pub fn cookie_name(self) -> &'static str {
        match self {
            Kind::Staff => "cs_staff",
            Kind::Customer => "cs_session",
        }
    }

    /// Staff cookies only travel to the back office.
    fn cookie_path(self) -> &'static str {
        match self {
            Kind::Staff => "/admin",
            Kind::Customer => "/",
        }
    }
}

pub struct Lifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

#[derive(Debug, Clone)]
pub struct Found {
    pub id: i64,
    pub user_id: i64,
    pub last_seen_at: String,
}

/// Creates a session row and returns the token for the cookie.
pub fn create(
    conn: &Connection,
    kind: Kind,
    user_id: i64,
    life: &Lifetime,
    now: OffsetDateTime,
    ip: &str,
    user_agent: &str,
) -> AppResult<String> {
    let token = random_token();
    conn.execute(
        "INSERT INTO sessions (token_hash, kind, user_id, created_at, last_seen_at, expires_at,
                               absolute_expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)",
        params![
            hash_token(&token),
            kind.as_str(),
            user_id,
            sql_time(now),
            sql_time(now + life.idle),
            sql_time(now + life.absolute),
            ip,
            user_agent.chars().take(200).collect::<String>()
        ],
    )?;
    Ok(token)
}

/// The live session for a cookie token, if any.
pub fn find(
    conn: &Connection,
    kind: Kind,
    token: &str,
    now: OffsetDateTime,
) -> AppResult<Option<Found>> {
    let now = sql_time(now);
    Ok(conn
        .prepare_cached(
            "SELECT id, user_id, last_seen_at FROM sessions
             WHERE token_hash = ?1 AND kind = ?2 AND expires_at > ?3 AND absolute_expires_at > ?3",
        )?
        .query_row(params![hash_token(token), kind.as_str(), now], |r| {
            Ok(Found {
                id: r.get(0)?,
                user_id: r.get(1)?,
                last_seen_at: r.get(2)?,
            })
        })
        .optional()?)
}

/// True when the sliding expiry is worth writing (more than a minute since the last write).
pub fn needs_touch(found: &Found, now: OffsetDateTime) -> bool {
    found.last_seen_at < sql_time(now - Duration::minutes(1))
}

pub fn touch(conn: &Connection, id: i64, life: &Lifetime, now: OffsetDateTime) -> AppResult<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?2, expires_at = min(?3, absolute_expires_at) WHERE id = ?1",
        params![id, sql_time(now), sql_time(now + life.idle)],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, kind: Kind, token: &str) -> AppResult<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?1 AND kind = ?2",
        params![hash_token(token), kind.as_str()],
    )?;
    Ok(())
}

/// Ends every session of one account (password change, reset, deactivation).
pub fn delete_all(conn: &Connection, kind: Kind, user_id: i64) -> AppResult<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE kind = ?1 AND user_id = ?2",
        params![kind.as_str(), user_id],
    )?)
}

pub fn set_cookie(jar: &CookieJar<'_>, kind: Kind, token: String, secure: bool) {
    jar.add(
        Cookie::build((kind.cookie_name(), token))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path(kind.cookie_path())
            .build(),
    );
}

pub fn remove_cookie(jar: &CookieJar<'_>, kind: Kind) {
    jar.remove(Cookie::build(kind.cookie_name()).path(kind.cookie_path()));
}
