//! API bearer tokens for customers and staff. Only the SHA-256 is stored, so a copy of the
//! database opens nothing; a token lasts 7 days (POLICY) and logout revokes it.

use rocket::http::Status;
use rocket::request::{Outcome, Request};
use rusqlite::{params, Connection, OptionalExtension};
use time::{Duration, OffsetDateTime};

use super::session::Kind;
use crate::clock::{sql_time, Clock};
use crate::db::Db;
use crate::error::AppResult;
use crate::secret::{hash_token, random_token};

pub const DAYS: i64 = 7;

pub fn expiry(now: OffsetDateTime) -> OffsetDateTime {
    now + Duration::days(DAYS)
}

pub fn create(
    conn: &Connection,
    kind: Kind,
    user_id: i64,
    now: OffsetDateTime,
) -> AppResult<String> {
    let token = random_token();
    conn.execute(
        "INSERT INTO api_tokens (kind, user_id, token_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            kind.as_str(),
            user_id,
            hash_token(&token),
            sql_time(now),
            sql_time(expiry(now))
        ],
    )?;
    Ok(token)
}

/// The user a live bearer token of this kind belongs to.
pub fn find(
    conn: &Connection,
    kind: Kind,
    token: &str,
    now: OffsetDateTime,
) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT user_id FROM api_tokens WHERE token_hash = ?1 AND kind = ?2 AND expires_at > ?3",
        )?
        .query_row(params![hash_token(token), kind.as_str(), sql_time(now)], |r| r.get(0))
        .optional()?)
}

pub fn revoke(conn: &Connection, kind: Kind, token: &str) -> AppResult<()> {
    conn.execute(
        "DELETE FROM api_tokens WHERE token_hash = ?1 AND kind = ?2",
        params![hash_token(token), kind.as_str()],
    )?;
    Ok(())
}

/// Every token of one user, e.g. after a password change or deactivation.
pub fn revoke_all(conn: &Connection, kind: Kind, user_id: i64) -> AppResult<()> {
    conn.execute(
        "DELETE FROM api_tokens WHERE kind = ?1 AND user_id = ?2",
        params![kind.as_str(), user_id],
    )?;
    Ok(())
}

/// The bearer token of a request's `Authorization` header, if any.
pub fn bearer(req: &Request<'_>) -> Option<String> {
    req.headers()
        .get_one("Authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The user behind a request's live bearer token of `kind`, read by `load` (which answers
/// `None` for a user who may not log in), with the token. 401 without one, 503 when the
/// database cannot say: the one lookup the customer and staff API guards share.
pub async fn user<T, F>(req: &Request<'_>, kind: Kind, load: F) -> Outcome<(T, String), ()>
where
    T: Send + 'static,
    F: FnOnce(&Connection, i64) -> AppResult<Option<T>> + Send + 'static,
{
    let Some(token) = bearer(req) else {
        return Outcome::Error((Status::Unauthorized, ()));
    };
    let (Some(db), Some(clock)) = (req.rocket().state::<Db>(), req.rocket().state::<Clock>())
    else {
        return Outcome::Error((Status::InternalServerError, ()));
    };
    let now = clock.now();
    let t = token.clone();
    let found = db
        .read(move |c| match find(c, kind, &t, now)? {
            Some(id) => load(c, id),
            None => Ok(None),
        })
        .await;
    match found {
        Ok(Some(user)) => Outcome::Success((user, token)),
        Ok(None) => Outcome::Error((Status::Unauthorized, ())),
        Err(_) => Outcome::Error((Status::ServiceUnavailable, ())),
    }
}

/// A new bearer token, as the customer and staff login answer it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// UTC, RFC 3339; the token stops working then (7 days).
    pub expires_at: String,
}
